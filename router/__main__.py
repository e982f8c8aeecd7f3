"""`python -m router --supergraph FILE --port N [--host H] [--dev]`."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from router.app import create_router_app
from router.settings import RouterSettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m router", description="Chorus router")
    parser.add_argument("--supergraph", required=True, type=Path, help="supergraph SDL file")
    parser.add_argument("--port", type=int, default=4000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dev", action="store_true", help="enable development features")
    args = parser.parse_args(argv)
    sdl = args.supergraph.read_text()
    app = create_router_app(sdl, settings=RouterSettings(dev=args.dev))
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
