"""`chorus migrate` finds its histories in chorus.yaml and lets a team work on its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

import migrations
from chorus.config import ChorusConfig, SubgraphConfig
from chorus.migrating import owners
from tests.helpers.stack_migrations import REPO, stack_histories
from tests.helpers.team_package import write_team_package


def test_the_repository_stack_runs_the_framework_then_chorus_yaml_order() -> None:
    histories = stack_histories()
    # nlu has no tables, so no history; the concierge comes from `migrations:`, after dialogue
    # and after every subgraph (the fraud application's four, found by their app paths)
    assert [h.name for h in histories] == [
        "models",
        "dialogue",
        "generation",
        "ingestion",
        "features",
        "anomaly",
        "alerting",
        "training",
        "concierge",
    ]
    assert histories[0].version_table == "alembic_version"
    assert histories[1].folder == REPO / "subgraphs" / "dialogue" / "migrations"
    assert histories[3].folder == REPO / "apps" / "fraud" / "ingestion" / "migrations"


def test_a_subgraph_with_a_migrations_folder_is_found_by_its_app_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    with_history, _ = write_team_package(tmp_path)
    without, _ = write_team_package(tmp_path, migrations=False)
    config = ChorusConfig(
        subgraphs={
            "nlu": SubgraphConfig(app="subgraphs.nlu.app:create_app", port=4001),
            "team": SubgraphConfig(app=f"{with_history}.app:create_app", port=4100),
            "other": SubgraphConfig(app=f"{without}.app:create_app", port=4101),
        }
    )
    assert [h.package for h in owners(config)] == ["models", with_history]

    listed = ChorusConfig(migrations=[without])  # listed by name: a missing folder is an error
    with pytest.raises(migrations.MigrationsError, match=f"create {without}/migrations/"):
        owners(listed)


def _chorus(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    pythonpath = os.pathsep.join([str(cwd), os.environ.get("PYTHONPATH", str(REPO))])
    return subprocess.run(
        [sys.executable, "-m", "chorus", "migrate", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": pythonpath, "CHORUS_DATABASE_URL": ""},
        cwd=cwd,
        timeout=120,
    )


def _state(db: Path) -> dict[str, list[str]]:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {
                n: [r for (r,) in conn.execute(sa.text(f"SELECT version_num FROM {n}"))]
                if n.startswith("alembic_version")
                else []
                for n in names
            }
    finally:
        engine.dispose()


def test_a_team_migrates_and_writes_revisions_on_its_own_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package, table = write_team_package(tmp_path)
    (tmp_path / "chorus.yaml").write_text(
        f"data_dir: data\nsubgraphs:\n  team:\n    app: {package}.app:create_app\n    port: 4100\n"
    )
    db = tmp_path / "data" / "chorus.db"

    result = _chorus(tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"(models, {package})" in " ".join(result.stdout.split())
    assert _state(db)[f"alembic_version_{package}"] == ["0001"] and table in _state(db)

    result = _chorus(tmp_path, "--owner", package, "--new", "add colour")
    assert result.returncode == 0, result.stderr
    written = tmp_path / package / "migrations" / "0002_add_colour.py"
    assert written.exists()
    written.write_text(
        written.read_text()
        .replace(
            "def upgrade() -> None:\n    pass",
            f'def upgrade() -> None:\n    op.add_column("{table}", sa.Column("colour", sa.Text))',
        )
        .replace(
            "def downgrade() -> None:\n    pass",
            f'def downgrade() -> None:\n    op.drop_column("{table}", "colour")',
        )
    )
    assert _chorus(tmp_path).returncode == 0
    assert _state(db)[f"alembic_version_{package}"] == ["0002"]
    url = f"sqlite+aiosqlite:///{db}"
    assert "colour" in {c["name"] for c in _columns(db, table)}

    # any alembic command on one history, through its Config
    command.downgrade(migrations.config(url, package), "0001")
    assert "colour" not in {c["name"] for c in _columns(db, table)}

    result = _chorus(tmp_path, "--down", "--owner", package)
    assert result.returncode == 0, result.stderr
    assert set(_state(db)) == {"alembic_version", "model_versions"}  # the framework's stays
    assert _state(db)["alembic_version"] == ["0001"]

    result = _chorus(tmp_path, "--owner", "nope")
    assert result.returncode == 2
    assert "no history 'nope' in this stack (known: models," in " ".join(result.stderr.split())
    result = _chorus(tmp_path, "--new", "no owner")
    assert result.returncode == 2 and "--new needs exactly one --owner" in result.stderr


def _columns(db: Path, table: str) -> list[dict[str, object]]:
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return list(sa.inspect(conn).get_columns(table))  # type: ignore[arg-type]
    finally:
        engine.dispose()
