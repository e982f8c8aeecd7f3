"""The CLI as a user runs it: version, migrate, clear errors for bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa


def _chorus(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [sys.executable, "-m", "chorus", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def test_version() -> None:
    result = _chorus("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("chorus ")


def test_migrate_creates_the_embedded_database(tmp_path: Path) -> None:
    (tmp_path / "chorus.yaml").write_text("data_dir: data\n")
    result = _chorus("migrate", cwd=tmp_path, env={"CHORUS_DATABASE_URL": ""})
    assert result.returncode == 0, result.stderr
    db = tmp_path / "data" / "chorus.db"
    assert db.exists()
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert "model_versions" in tables


def test_a_bad_config_is_reported_with_the_key(tmp_path: Path) -> None:
    (tmp_path / "chorus.yaml").write_text("routr: {}\n")
    result = _chorus("migrate", cwd=tmp_path)
    assert result.returncode == 2
    assert "routr" in result.stderr


def test_unknown_subgraph_is_a_clear_error(tmp_path: Path) -> None:
    result = _chorus("subgraph", "nosuch", "--port", "4099", cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown subgraph 'nosuch'" in result.stderr


def test_router_refuses_a_missing_supergraph(tmp_path: Path) -> None:
    result = _chorus("router", "--supergraph", str(tmp_path / "none.graphql"))
    assert result.returncode == 2
    assert "no such supergraph file" in result.stderr
