"""Start the whole stack as a user starts it: `chorus dev` with real processes and real models.

Trained default models are cached between runs in ~/.cache/chorus/test-stack/<key>,
keyed by the training data and model code, so the first run trains (minutes) and
later runs start in seconds. The database is a fresh SQLite file per session.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PORTS = {"router": 4060, "nlu": 4061, "dialogue": 4062, "generation": 4063}
FIXED_CLOCK = "2026-12-08T12:00:00+01:00"
CACHE_ROOT = Path(os.environ.get("CHORUS_TEST_CACHE", Path.home() / ".cache/chorus/test-stack"))


def _models_key() -> str:
    digest = hashlib.sha256()
    data = REPO / "apps" / "concierge" / "data"  # the application's training data
    # test stories train nothing: editing them keeps the cached models
    files = sorted(p for p in data.rglob("*") if "stories" not in p.relative_to(data).parts)
    sources = [*files, *sorted((REPO / "models").rglob("*.py"))]
    for path in sources:
        if path.is_file():
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class Stack:
    process: subprocess.Popen[bytes]
    data_dir: Path
    log: Path
    url: str

    def post(self, query: str, variables: dict | None = None, **kwargs) -> httpx.Response:
        return httpx.post(
            self.url, json={"query": query, "variables": variables or {}}, timeout=120, **kwargs
        )

    def gql(self, query: str, variables: dict | None = None, **kwargs) -> dict:
        response = self.post(query, variables, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                raise
        return self.process.returncode


def _write_config(root: Path, data_dir: Path) -> Path:
    """The repository's concierge stack (models, env, migrations) on the test's ports and data."""
    repo_config = yaml.safe_load((REPO / "chorus.yaml").read_text())
    subgraphs = {}
    for name in ("nlu", "dialogue", "generation"):
        entry = dict(repo_config["subgraphs"][name])
        entry["port"] = PORTS[name]
        subgraphs[name] = entry
    config = root / "chorus.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(data_dir),
                "router": {"port": PORTS["router"]},
                "migrations": repo_config.get("migrations", []),
                "subgraphs": subgraphs,
            },
            sort_keys=False,
        )
    )
    return config


def models_key() -> str:
    """The key of the cached trained models (training data and model code)."""
    return _models_key()


def _seed_models(data_dir: Path) -> None:
    """Reuse trained artefacts + registry rows from an earlier run with the same inputs."""
    cached = CACHE_ROOT / _models_key()
    if (cached / "chorus.db").exists():
        shutil.copytree(cached, data_dir, dirs_exist_ok=True)


def _save_models(data_dir: Path) -> None:
    cached = CACHE_ROOT / _models_key()
    if cached.exists():
        return
    tmp = cached.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(data_dir, tmp, ignore=shutil.ignore_patterns("*.db-wal", "*.db-shm", "traces"))
    tmp.rename(cached)


def start_stack(root: Path, extra_env: dict[str, str] | None = None) -> Stack:
    data_dir = root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    _seed_models(data_dir)
    config = _write_config(root, data_dir)
    log = root / "stack.log"
    env = {
        **os.environ,
        "CHORUS_DATABASE_URL": "",
        "CHORUS_LOG_FORMAT": "json",
        # the conversations name relative days ("tomorrow"): a Tuesday noon in the venue's
        # timezone keeps them on open days whatever day the suite runs
        "CHORUS_DIALOGUE_CLOCK_START": FIXED_CLOCK,
        **(extra_env or {}),
    }
    env.pop("CHORUS_DATABASE_URL")
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "chorus", "dev", "--config", str(config)],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = Stack(process, data_dir, log, f"http://127.0.0.1:{PORTS['router']}/graphql")
    deadline = time.monotonic() + 1200
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chorus dev exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        if "Chorus is up" in log.read_text(errors="replace"):
            break
        time.sleep(1)
    else:
        stack.stop()
        pytest.fail(f"chorus dev was not up in time:\n{log.read_text()[-4000:]}")
    _save_models(data_dir)
    return stack


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as f:
                children = [int(c) for c in f.read().split()]
        except FileNotFoundError:
            continue
        found.update(children)
        frontier.extend(children)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
