"""One alembic history per owner, on SQLite and PostgreSQL: fresh databases, databases left
at the old single chain's head, one history moving alone, a new team's history."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import migrations
from models.db import create_engine
from tests.helpers.stack_migrations import REPO, stack_histories
from tests.helpers.team_package import write_team_package

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
HEADS = {
    "alembic_version": "0001",
    "alembic_version_dialogue": "0002",
    "alembic_version_generation": "0003",
    "alembic_version_concierge": "0001",
}
ROWS: dict[str, dict[str, Any]] = {
    "model_versions": {
        "name": "nlu", "version": "v1", "stage": "production", "path": "models/nlu/v1",
        "metrics": {"f1": 0.9}, "data_hash": "abc", "created_at": NOW,
    },
    "dialogue_conversations": {
        "id": "c1", "domain": "d", "created_at": NOW, "updated_at": NOW, "turn_count": 1,
        "applied_index": 0, "lock_seq": 0, "slots": {"name": "Ada"},
    },
    "dialogue_turns": {
        "id": "t1", "conversation_id": "c1", "index": 0, "text": "hi", "status": "done",
        "created_at": NOW,
    },
    "dialogue_bookings": {
        "id": "b1", "conversation_id": "c1", "turn_id": "t1", "party_size": 2,
        "status": "confirmed", "created_at": NOW, "updated_at": NOW,
    },
    "replies": {
        "turn_id": "t1", "action": "utter_greet", "text": "Hello!", "source": "template",
        "created_at": NOW,
    },
}  # fmt: skip


async def _sync(url: str, fn: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _insert_rows(conn: sa.Connection) -> None:
    meta = sa.MetaData()
    for table, row in ROWS.items():
        if sa.inspect(conn).has_table(table):
            conn.execute(sa.Table(table, meta, autoload_with=conn).insert().values(**row))


def _snapshot(conn: sa.Connection) -> dict[str, Any]:
    """Every table's rows (primary key and one column), and every version table's revisions."""
    found: dict[str, Any] = {}
    meta = sa.MetaData()
    for name in sa.inspect(conn).get_table_names():
        table = sa.Table(name, meta, autoload_with=conn)
        found[name] = sorted(tuple(str(v) for v in row) for row in conn.execute(sa.select(table)))
    return found


async def _make_legacy(url: str, at: str) -> None:
    """A database as the single chain left it at `at`: the same tables, one version row."""
    owners = ["subgraphs.dialogue", "apps.concierge"]
    if at == "0003":
        owners.append("subgraphs.generation")
    await asyncio.to_thread(migrations.upgrade, url, owners=owners)

    def to_legacy(conn: sa.Connection) -> None:
        for table in HEADS:
            if table != "alembic_version":
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": at})
        _insert_rows(conn)

    await _sync(url, to_legacy)


async def test_a_fresh_database_gets_every_history_at_its_head(db_url: str) -> None:
    stack = stack_histories()
    await asyncio.to_thread(migrations.upgrade, db_url, owners=stack)
    snapshot = await _sync(db_url, _snapshot)
    assert {name: rows for name, rows in snapshot.items() if name in HEADS} == {
        name: [(rev,)] for name, rev in HEADS.items()
    }
    assert set(ROWS) <= set(snapshot)
    assert await _sync(db_url, lambda c: migrations.behind(c, stack)) == []


@pytest.mark.parametrize("at", ["0002", "0003"])
async def test_a_database_at_the_old_single_chain_keeps_its_rows(db_url: str, at: str) -> None:
    await _make_legacy(db_url, at)
    before = await _sync(db_url, _snapshot)
    assert before["alembic_version"] == [(at,)] and before["dialogue_bookings"]
    stack = stack_histories()
    assert await _sync(db_url, lambda c: migrations.behind(c, stack))  # it needs migrating

    # the framework's history alone first (e.g. `chorus models register`), then the stack
    await asyncio.to_thread(migrations.upgrade, db_url)
    await asyncio.to_thread(migrations.upgrade, db_url, owners=stack)

    after = await _sync(db_url, _snapshot)
    for table, rows in before.items():
        if table not in HEADS:
            assert after[table] == rows, table  # not recreated, not emptied
    assert {name: rows for name, rows in after.items() if name in HEADS} == {
        name: [(rev,)] for name, rev in HEADS.items()
    }
    if at == "0002":  # generation's history was still to run: its table is new and empty
        assert "replies" not in before and after["replies"] == []
    assert await _sync(db_url, lambda c: migrations.behind(c, stack)) == []


async def test_one_history_moves_without_touching_the_others(db_url: str) -> None:
    stack = stack_histories()
    await asyncio.to_thread(migrations.upgrade, db_url, owners=stack)
    await _sync(db_url, _insert_rows)
    before = await _sync(db_url, _snapshot)

    await asyncio.to_thread(migrations.downgrade, db_url, "generation@base", owners=stack)
    after = await _sync(db_url, _snapshot)
    gone = {"replies", "alembic_version_generation"}
    assert set(before) - set(after) == gone
    assert after == {k: v for k, v in before.items() if k not in gone}

    # dialogue cannot go while the concierge's bookings point into its turns: refused whole
    with pytest.raises(sa.exc.SQLAlchemyError):
        await asyncio.to_thread(migrations.downgrade, db_url, "dialogue@base", owners=stack)
    assert await _sync(db_url, _snapshot) == after

    await asyncio.to_thread(migrations.upgrade, db_url, "generation@head", owners=stack)
    assert set(await _sync(db_url, _snapshot)) == set(before)


def _fingerprint(owners: list[migrations.Owner]) -> dict[str, str]:
    return {
        str(path.relative_to(REPO)): hashlib.sha256(path.read_bytes()).hexdigest()
        for owner in owners
        for path in sorted(owner.folder.glob("*.py"))
    }


async def test_a_new_teams_history_is_picked_up_on_its_own(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package, table = write_team_package(tmp_path)
    stack = stack_histories()
    untouched = _fingerprint(stack)

    await asyncio.to_thread(migrations.upgrade, db_url, owners=[*stack, package])
    tables = await _sync(db_url, _snapshot)
    assert table in tables and tables[f"alembic_version_{package}"] == [("0001",)]
    assert {name: rows for name, rows in tables.items() if name in HEADS} == {
        name: [(rev,)] for name, rev in HEADS.items()
    }  # its 0001 is not the framework's or the concierge's 0001: ids are per history
    assert await _sync(db_url, lambda c: migrations.behind(c, [*stack, package])) == []

    await asyncio.to_thread(migrations.downgrade, db_url, f"{package}@base", owners=[package])
    tables = await _sync(db_url, _snapshot)
    assert table not in tables and f"alembic_version_{package}" not in tables
    assert set(ROWS) <= set(tables)
    assert _fingerprint(stack) == untouched


def test_new_revision_counts_up_in_its_own_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    package, _ = write_team_package(tmp_path)
    stack = stack_histories()
    untouched = _fingerprint(stack)
    path = migrations.new_revision(package, "add colour")
    assert path == tmp_path / package / "migrations" / "0002_add_colour.py"
    text = path.read_text()
    assert 'revision = "0002"' in text.replace("'", '"')
    assert 'down_revision = "0001"' in text.replace("'", '"')
    assert _fingerprint(stack) == untouched


def test_revisions_and_owners_that_cannot_be_placed_are_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    stack = stack_histories()
    ambiguous = r"0001 is in models, training, concierge.*@0001"
    with pytest.raises(migrations.MigrationsError, match=ambiguous):
        migrations.upgrade(url, "0001", owners=stack)
    with pytest.raises(migrations.MigrationsError, match="no history 'nope' among models"):
        migrations.downgrade(url, "nope@base", owners=stack)
    with pytest.raises(migrations.MigrationsError, match=r"no_such_pkg\.sub: no such package"):
        migrations.upgrade(url, owners=["no_such_pkg.sub"])
    with pytest.raises(migrations.MigrationsError, match="create subgraphs/nlu/migrations/"):
        migrations.upgrade(url, owners=["subgraphs.nlu"])

    monkeypatch.syspath_prepend(str(tmp_path))
    package, _ = write_team_package(tmp_path)
    clash = tmp_path / package / "dialogue" / "migrations"
    clash.mkdir(parents=True)
    (clash.parent / "__init__.py").write_text("")
    (clash / "__init__.py").write_text("")
    with pytest.raises(migrations.MigrationsError, match="alembic_version_dialogue"):
        migrations.upgrade(url, owners=["subgraphs.dialogue", f"{package}.dialogue"])
    assert not (tmp_path / "x.db").exists()  # refused before touching the database


def test_every_history_ships_in_the_wheel() -> None:
    """The revisions are modules of packages that setuptools finds, so the wheel carries them."""
    import tomllib

    from setuptools import find_packages

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = set(find_packages(where=str(REPO), include=include))
    for owner in stack_histories():
        assert f"{owner.package}.migrations" in packages, owner.package
    assert "migrations" in packages  # env.py; script.py.mako is package data
    assert "*.mako" in project["tool"]["setuptools"]["package-data"]["*"]
