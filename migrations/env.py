"""Alembic environment shared by every history: runs one owner's revisions over the
async engine (aiosqlite or asyncpg), its state in that owner's version table.

Before migrating it converts a database left by the single shared chain
(migrations/legacy.py); after, a version table with no row left (the history
went down to base) is dropped, so a fully downgraded database is empty.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from migrations.legacy import restamp
from models.db import create_engine

VERSION_TABLE = context.config.get_main_option("version_table") or "alembic_version"
log = logging.getLogger("migrations")


def _drop_if_empty(connection: Connection, table: str) -> None:
    if not sa.inspect(connection).has_table(table):
        return
    if connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one() == 0:
        connection.execute(sa.text(f'DROP TABLE "{table}"'))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=None,
        render_as_batch=True,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        stamped = restamp(connection)
        if stamped:
            log.warning("per-owner histories stamped from the shared chain: %s", ", ".join(stamped))
        context.run_migrations()
        _drop_if_empty(connection, VERSION_TABLE)


def _transactional_sqlite_ddl(engine: AsyncEngine) -> None:
    """SQLAlchemy's recipe: the sqlite3 driver commits before DDL on its own, so a failed
    revision would leave half its tables dropped; let BEGIN come from SQLAlchemy instead."""

    def connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    event.listen(engine.sync_engine, "connect", connect)
    event.listen(engine.sync_engine, "begin", begin)


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        _transactional_sqlite_ddl(engine)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def _in_thread(coro: Any) -> None:
    """Run in a fresh loop; alembic may be called from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    import threading

    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


if context.is_offline_mode():
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        literal_binds=True,
        version_table=VERSION_TABLE,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    _in_thread(_run_async(context.config.get_main_option("sqlalchemy.url") or ""))
