"""One async SQLAlchemy engine from one URL: embedded SQLite by default, PostgreSQL in prod."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import event
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine

DEFAULT_DATA_DIR = ".chorus"


def data_dir() -> Path:
    """Where the SQLite file and trained artefacts live (env CHORUS_DATA_DIR, default .chorus)."""
    return Path(os.environ.get("CHORUS_DATA_DIR", DEFAULT_DATA_DIR)).expanduser()


def database_url() -> str:
    """The configured database URL (env CHORUS_DATABASE_URL), else an SQLite file in data_dir()."""
    url = os.environ.get("CHORUS_DATABASE_URL")
    if url:
        return url
    path = data_dir().resolve() / "chorus.db"
    return f"sqlite+aiosqlite:///{path}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str | None = None, **kwargs: Any) -> AsyncEngine:
    """Create the engine; SQLite gets WAL and a busy timeout so concurrent writers queue.

    Statements are traced (one span per statement, under the request's span) when
    spans go somewhere (`CHORUS_TRACES_EXPORTER` set and not `none`).
    """
    _instrument_once()
    return _create(url or database_url(), **kwargs)


def _instrument_once() -> None:
    """Trace every engine created from now on (the instrumentor wraps create_async_engine).

    Without an exporter the statement hooks would only cost CPU on every query.
    """
    if os.environ.get("CHORUS_TRACES_EXPORTER", "none") == "none":
        return
    instrumentor = SQLAlchemyInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def _create(url: str, **kwargs: Any) -> AsyncEngine:
    # `sa_asyncio.create_async_engine`, looked up per call: the instrumentor replaces the
    # module's function, and a name imported before that would bypass it (no statement spans).
    if is_sqlite(url):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = sa_asyncio.create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa_asyncio.create_async_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
