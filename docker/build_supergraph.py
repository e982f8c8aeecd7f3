"""Composes docker/k8s/supergraph.graphql, the supergraph the containerised router serves.

Each subgraph's SDL is read in-process (its app is built, not served, so no model
is loaded) through `_service { sdl }`, exactly what introspection of a running
subgraph returns; the routing URLs come from docker/supergraph.yaml (the service
names and ports of compose and Kubernetes alike). Run it after a subgraph's
schema changes and commit the result (tests/docker fails while it is stale):

    .venv/bin/python docker/build_supergraph.py          # write
    .venv/bin/python docker/build_supergraph.py --check  # exit 1 when stale

Against running subgraphs, `chorus compose --config docker/supergraph.yaml
--output docker/k8s/supergraph.graphql` produces the same file by introspection.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CONFIG = HERE / "supergraph.yaml"
OUTPUT = HERE / "k8s" / "supergraph.graphql"
SDL_QUERY = "{ _service { sdl } }"


def subgraph_sdl(name: str) -> str:
    """The subgraph's SDL as its `_service` field reports it, from its configured app factory.

    The app is built with the subgraph's `env` from chorus.yaml (the application's data
    and extensions), as `chorus dev` starts it.
    """
    config = yaml.safe_load((REPO / "chorus.yaml").read_text())
    target = config["subgraphs"][name]["app"]
    module_name, _, factory = target.partition(":")
    env = {str(k): str(v) for k, v in (config["subgraphs"][name].get("env") or {}).items()}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        app = getattr(importlib.import_module(module_name), factory)()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    result = app.state.schema.execute_sync(SDL_QUERY)
    if result.errors:
        raise RuntimeError(f"{name}: {result.errors}")
    return str(result.data["_service"]["sdl"])


def compose_supergraph(config_path: Path = CONFIG) -> str:
    from router.compose.compose import compose
    from router.compose.config import load_config
    from router.compose.types import SubgraphSource

    config = load_config(config_path)
    sources = [
        SubgraphSource(entry.name, entry.routing_url, subgraph_sdl(entry.name))
        for entry in config.subgraphs
    ]
    result = compose(sources)
    if result.errors or result.supergraph_sdl is None:
        raise RuntimeError("composition failed:\n" + "\n".join(str(e) for e in result.errors))
    return result.supergraph_sdl.rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    text = compose_supergraph()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
