"""The SDL of every subgraph chorus.yaml names, read in-process from their app factories.

Run as `python -m chorus.scaffold.sdl_probe` in the project (see project_python.py):
each app is built, not served, so no model loads, and asked for `_service { sdl }`,
exactly what introspection of the running subgraph returns. Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from chorus.config import load_config
from chorus.scaffold.errors import ScaffoldError
from chorus.scaffold.project_python import run_python
from chorus.schemas import SchemaUnavailable, subgraph_sdl

MARKER = "chorus-sdl-probe:"


def subgraph_sdls(root: Path) -> dict[str, str]:
    """Subgraph name -> SDL, in chorus.yaml order, read in a child process in `root`."""
    out = run_python(root, ["-m", "chorus.scaffold.sdl_probe"], "reading the subgraphs' SDL")
    line = next((x for x in reversed(out.splitlines()) if x.startswith(MARKER)), None)
    if line is None:
        raise ScaffoldError("reading the subgraphs' SDL: the probe printed nothing")
    return dict(json.loads(line.removeprefix(MARKER)))


def read_sdls(config_path: Path) -> dict[str, str]:
    """What `chorus compose --stack` reads: each subgraph's `sdl:` file or its app's SDL."""
    config = load_config(config_path)
    try:
        return {name: subgraph_sdl(name, sub, config) for name, sub in config.subgraphs.items()}
    except SchemaUnavailable as exc:
        raise SystemExit(str(exc)) from exc


def main() -> int:
    sdls = read_sdls(Path("chorus.yaml"))
    print(MARKER + json.dumps(sdls))
    return 0


if __name__ == "__main__":
    sys.exit(main())
