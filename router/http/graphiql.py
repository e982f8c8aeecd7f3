"""GraphiQL served from local files: works offline, subscriptions over graphql-ws.

The assets (GraphiQL, React, graphql-ws as UMD builds) come from the PyPI
package `graphene-django-graphiql-static`, which ships them as plain files; we
serve them ourselves and never reach a CDN.
"""

from __future__ import annotations

import html
import importlib.util
import json
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSET_PACKAGE = "graphene_django_graphiql_static"
ASSET_PREFIX = "/graphiql/static"
ASSETS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphql-ws.min.js",
)


def asset_dir() -> Path:
    spec = importlib.util.find_spec(ASSET_PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"the {ASSET_PACKAGE} package is not installed; run `make setup`")
    return Path(spec.origin).parent / "static" / ASSET_PACKAGE


def assets_mount() -> Mount:
    return Mount(ASSET_PREFIX, app=StaticFiles(directory=asset_dir()), name="graphiql-assets")


def graphiql_page(
    *,
    endpoint: str = "/graphql",
    title: str = "Chorus GraphiQL",
    default_query: str | None = None,
    default_headers: dict[str, str] | None = None,
) -> str:
    """The GraphiQL HTML page; HTTP for queries and mutations, graphql-ws for subscriptions."""
    scripts = "\n".join(f'<script src="{ASSET_PREFIX}/{name}"></script>' for name in ASSETS)
    config = {
        "endpoint": endpoint,
        "defaultQuery": default_query,
        "defaultHeaders": json.dumps(default_headers, indent=2) if default_headers else None,
    }
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>html, body, #graphiql {{ height: 100%; margin: 0; overflow: hidden; width: 100%; }}</style>
<link rel="stylesheet" href="{ASSET_PREFIX}/graphiql.min.css">
{scripts}
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script>
const config = {json.dumps(config)};
const http = new URL(config.endpoint, window.location.href);
const ws = new URL(http);
ws.protocol = http.protocol === "https:" ? "wss:" : "ws:";
const fetcher = GraphiQL.createFetcher({{
  url: http.toString(),
  wsClient: graphqlWs.createClient({{ url: ws.toString(), lazy: true }}),
}});
const props = {{ fetcher, headerEditorEnabled: true, shouldPersistHeaders: false }};
if (config.defaultQuery) props.defaultQuery = config.defaultQuery;
if (config.defaultHeaders) props.headers = config.defaultHeaders;
ReactDOM.render(React.createElement(GraphiQL, props), document.getElementById("graphiql"));
</script>
</body>
</html>
"""
