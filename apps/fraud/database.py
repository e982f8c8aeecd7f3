"""The database handle each fraud subgraph opens at start-up and closes at shutdown.

Every subgraph has its own tables (its own alembic history) but they share the
stack's database URL (`CHORUS_DATABASE_URL`, or `database_url` given explicitly).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import create_engine, database_url


class Database:
    """An async engine created on `start()`; `start` fails when `table` is missing."""

    def __init__(self, table: str, url: str | None = None) -> None:
        self.table = table
        self.url = url
        self._engine: AsyncEngine | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("the database is not started")
        return self._engine

    async def start(self) -> None:
        url = self.url or database_url()
        self._engine = create_engine(url)
        async with self._engine.connect() as conn:
            names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        if self.table not in names:
            raise RuntimeError(f"table {self.table!r} is missing from {url}: run `chorus migrate`")

    async def stop(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
