"""Temporary chorus.yaml files for CLI tests: the toy model and the tiny subgraphs."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
TOY_TRAINER = "tests.helpers.toy_trainer:TRAINER"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_toy_data(path: Path, pairs: list[tuple[float, int]] | None = None) -> Path:
    rows = pairs or [(0.1, 0), (0.2, 0), (0.3, 0), (0.7, 1), (0.8, 1), (0.9, 1)]
    path.write_text(json.dumps([list(r) for r in rows]))
    return path


def write_stack(folder: Path, subgraphs: dict[str, dict], **extra: object) -> Path:
    """chorus.yaml in `folder` with a data dir beside it; returns its path."""
    config = {"data_dir": str(folder / "data"), "subgraphs": subgraphs, **extra}
    path = folder / "chorus.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def child_env(folder: Path) -> dict[str, str]:
    """Environment for a `python -m chorus` child: this checkout importable, a private DB."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    env["CHORUS_DATABASE_URL"] = f"sqlite+aiosqlite:///{folder / 'data' / 'chorus.db'}"
    env["CHORUS_DATA_DIR"] = str(folder / "data")
    return env
