"""The shared engine factory traces SQL statements when spans are exported."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from models.db import create_engine


def test_statements_get_spans_when_traces_are_exported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spans: InMemorySpanExporter
) -> None:
    monkeypatch.setenv("CHORUS_TRACES_EXPORTER", "console")
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")

    async def query() -> int:
        try:
            async with engine.connect() as conn:
                return int((await conn.execute(sa.text("SELECT 41 + 1"))).scalar_one())
        finally:
            await engine.dispose()

    assert asyncio.run(query()) == 42
    statements = [
        s.attributes.get("db.statement")
        for s in spans.get_finished_spans()
        if s.attributes and "db.statement" in s.attributes
    ]
    assert "SELECT 41 + 1" in statements, [s.name for s in spans.get_finished_spans()]
