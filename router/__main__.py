"""`python -m router --supergraph FILE --port N [--host H] [--dev] [--config FILE]`."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from router.app import create_router_app
from router.server import heap
from router.server.protocol import CoalescingHttpToolsProtocol
from router.settings import RouterSettings, load_router_settings
from router.telemetry import instrument


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m router", description="Chorus router")
    parser.add_argument("--supergraph", required=True, type=Path, help="supergraph SDL file")
    parser.add_argument("--port", type=int, default=4000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dev", action="store_true", help="enable development features")
    parser.add_argument(
        "--config",
        type=Path,
        help="router settings (YAML; python -m router.settings.reference prints them all)",
    )
    args = parser.parse_args(argv)
    sdl = args.supergraph.read_text()
    overrides: dict[str, object] = {"dev": True} if args.dev else {}
    settings = (
        load_router_settings(args.config, **overrides)
        if args.config
        else RouterSettings.model_validate(overrides)
    )
    app = create_router_app(sdl, settings=settings)
    heap.tune_for_serving()
    uvicorn.run(
        instrument(app),  # tracing only when CHORUS_TRACES_EXPORTER names an exporter
        host=args.host,
        port=args.port,
        loop="uvloop",
        http=CoalescingHttpToolsProtocol,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
