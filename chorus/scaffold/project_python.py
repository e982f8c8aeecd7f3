"""Run Python in a child process that imports the project's own packages.

The scaffold reads the project's subgraphs (their SDL) and composes its supergraph
after writing a new package. A child process with the project first on PYTHONPATH
imports the files on disk, not whatever `subgraphs` package the CLI's interpreter
may have loaded, and leaves nothing imported (or byte-compiled) behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from chorus.scaffold.errors import ScaffoldError

TIMEOUT_S = 300.0


def run_python(root: Path, args: list[str], what: str) -> str:
    """stdout of `python ARGS` run in `root`; ScaffoldError with its stderr when it fails."""
    with tempfile.TemporaryDirectory(prefix="chorus-scaffold-") as data:
        paths = [str(root), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(paths),
            "PYTHONDONTWRITEBYTECODE": "1",
            # building an app may touch the data folder and database: keep the project's alone
            "CHORUS_DATA_DIR": data,
            "CHORUS_DATABASE_URL": f"sqlite+aiosqlite:///{Path(data) / 'scaffold.db'}",
        }
        try:
            result = subprocess.run(
                [sys.executable, *args],
                cwd=root,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as exc:
            raise ScaffoldError(f"{what}: no answer in {TIMEOUT_S:.0f} s") from exc
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise ScaffoldError(f"{what} failed:\n{tail}")
    return result.stdout
