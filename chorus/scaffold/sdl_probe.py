"""The SDL of every subgraph chorus.yaml names, read in-process from their app factories.

Run as `python -m chorus.scaffold.sdl_probe` in the project (see project_python.py):
each app is built, not served, so no model loads, and asked for `_service { sdl }`,
exactly what introspection of the running subgraph returns. Prints one JSON object.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import yaml

from chorus.scaffold.errors import ScaffoldError
from chorus.scaffold.project_python import run_python

SDL_QUERY = "{ _service { sdl } }"
MARKER = "chorus-sdl-probe:"


def subgraph_sdls(root: Path) -> dict[str, str]:
    """Subgraph name -> SDL, in chorus.yaml order, read in a child process in `root`."""
    out = run_python(root, ["-m", "chorus.scaffold.sdl_probe"], "reading the subgraphs' SDL")
    line = next((x for x in reversed(out.splitlines()) if x.startswith(MARKER)), None)
    if line is None:
        raise ScaffoldError("reading the subgraphs' SDL: the probe printed nothing")
    return dict(json.loads(line.removeprefix(MARKER)))


def read_sdls(config_path: Path) -> dict[str, str]:
    config = yaml.safe_load(config_path.read_text()) or {}
    sdls: dict[str, str] = {}
    for name, sub in (config.get("subgraphs") or {}).items():
        module_name, _, factory = str(sub["app"]).partition(":")
        app = getattr(importlib.import_module(module_name), factory)()
        schema = getattr(getattr(app, "state", None), "schema", None)
        if schema is None:
            raise SystemExit(f"{name}: {sub['app']} has no state.schema (not a kit app)")
        result = schema.execute_sync(SDL_QUERY)
        if result.errors:
            raise SystemExit(f"{name}: {result.errors}")
        sdls[name] = str(result.data["_service"]["sdl"])
    return sdls


def main() -> int:
    sdls = read_sdls(Path("chorus.yaml"))
    print(MARKER + json.dumps(sdls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
