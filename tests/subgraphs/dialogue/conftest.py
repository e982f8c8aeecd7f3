"""Fixtures of the dialogue tests: migrated databases (SQLite file, PostgreSQL) and apps.

One database of each kind per test session, migrated with alembic (the way
production gets its tables); tests keep apart by using their own
conversations. The PostgreSQL database has a unique name and is dropped at
the end, so parallel runs do not collide.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

import migrations
from tests.helpers.stack_migrations import DIALOGUE

PG_URL = os.environ.get(
    "CHORUS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture(scope="session")
def dialogue_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("dialogue") / "chorus.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrations.upgrade(url, owners=DIALOGUE)
    yield url


@pytest.fixture(scope="session")
async def dialogue_pg_url() -> AsyncIterator[str]:
    name = f"chorus_dialogue_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(_dsn(PG_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = f"{PG_URL.rpartition('/')[0]}/{name}"
    try:
        await asyncio.to_thread(migrations.upgrade, url, owners=DIALOGUE)
        yield url
    finally:
        admin = await asyncpg.connect(_dsn(PG_URL))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def dialogue_db_url(request: pytest.FixtureRequest) -> str:
    """A migrated database of each kind; the test runs once per kind."""
    fixture = "dialogue_sqlite_url" if request.param == "sqlite" else "dialogue_pg_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def unmigrated_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
