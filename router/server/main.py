"""The router's one entry point: `serve` (what `chorus router` and `python -m router` run).

`chorus router` parses its options with typer and calls `serve`; `python -m
router` (`main`) is a thin alias with the same options, for hosts that have the
router without the CLI (the federation audit, the benchmark, the router image).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from router.http.rest import RestConfigError
from router.plugins import PluginError
from router.server import head_guard, heap
from router.server.app import create_router_app
from router.server.coalescing_loop import LOOP
from router.server.watch import SupergraphFileWatcher, WatchLifespan
from router.settings import RouterSettings, load_router_settings
from router.telemetry import instrument

__all__ = ["StartupError", "main", "serve"]


class StartupError(ValueError):
    """The router cannot start with these options (the message says why)."""


def serve(
    supergraph: Path,
    *,
    port: int = 4000,
    host: str = "127.0.0.1",
    dev: bool = False,
    router_config: Path | None = None,
    graphiql_query: Path | None = None,
    static: Sequence[str] = (),
    watch: bool = False,
    watch_interval: float = 1.0,
) -> None:
    """Serve a supergraph: GraphQL at /graphql, health at /health, metrics at /metrics.

    Raises `StartupError` before serving when a file or option is unusable.
    """
    if not supergraph.exists():
        raise StartupError(f"no such supergraph file: {supergraph}")
    sdl = supergraph.read_text()
    overrides: dict[str, Any] = {"dev": True} if dev else {}
    if graphiql_query:
        overrides["graphiql_default_query"] = graphiql_query.read_text()
    try:
        settings = (
            load_router_settings(router_config, **overrides)
            if router_config
            else RouterSettings(**overrides)
        )
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise StartupError(f"router settings: {exc}") from exc
    try:
        application = create_router_app(sdl, settings=settings)
    except (PluginError, RestConfigError) as exc:
        raise StartupError(f"router settings: {exc}") from exc
    for spec in static:
        prefix, sep, directory = spec.partition("=")
        if not sep or not prefix.startswith("/") or not Path(directory).is_dir():
            raise StartupError(f"--static expects /PREFIX=EXISTING_DIR, got {spec!r}")
        application.router.routes.insert(
            0, Mount(prefix, app=StaticFiles(directory=directory, html=True))
        )
    served: Any = instrument(application)  # tracing only when CHORUS_TRACES_EXPORTER is set
    if watch:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        reload_log = logging.getLogger("chorus.reload")
        reload_log.addHandler(handler)
        reload_log.setLevel(logging.INFO)
        watcher = SupergraphFileWatcher(supergraph, application.state.router.reload, sdl)
        served = WatchLifespan(application, lambda: watcher.run(watch_interval))
    heap.tune_for_serving()
    # header count, size and read time: checked at the connection (uvicorn has no option)
    head_guard.configure(head_guard.HeadLimits.of(settings.limits))
    uvicorn.run(
        served,
        host=host,
        port=port,
        loop=LOOP,  # uvloop, one socket write per response
        http="httptools",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=10,
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m router`: the options of `chorus router`, then `serve`."""
    parser = argparse.ArgumentParser(
        prog="python -m router", description="Chorus router (the same as `chorus router`)"
    )
    parser.add_argument("--supergraph", required=True, type=Path, help="supergraph SDL file")
    parser.add_argument("--port", type=int, default=4000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dev", action="store_true", help="expose query plans on request")
    parser.add_argument(
        "--router-config",
        "--config",
        dest="router_config",
        type=Path,
        help="router settings (YAML; python -m router.settings.reference prints them all)",
    )
    parser.add_argument(
        "--graphiql-query", type=Path, help="file with the operation GraphiQL opens with"
    )
    parser.add_argument(
        "--static",
        action="append",
        default=[],
        help="serve a folder of static files, PREFIX=DIR (e.g. /chat=web/chat)",
    )
    parser.add_argument("--watch", action="store_true", help="reload the supergraph file on change")
    parser.add_argument("--watch-interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    try:
        serve(
            args.supergraph,
            port=args.port,
            host=args.host,
            dev=args.dev,
            router_config=args.router_config,
            graphiql_query=args.graphiql_query,
            static=args.static,
            watch=args.watch,
            watch_interval=args.watch_interval,
        )
    except StartupError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
