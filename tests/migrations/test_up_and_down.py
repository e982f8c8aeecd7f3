"""Migrations run up and down cleanly on SQLite and PostgreSQL (every history of the stack)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

import migrations
from models.db import create_engine
from tests.helpers.stack_migrations import stack_histories


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names)


async def test_upgrade_then_downgrade_leaves_nothing(db_url: str) -> None:
    stack = stack_histories()
    await asyncio.to_thread(migrations.upgrade, db_url, owners=stack)
    after_up = await _tables(db_url)
    assert {"alembic_version", "model_versions"} <= after_up
    await asyncio.to_thread(migrations.downgrade, db_url, owners=stack)
    after_down = await _tables(db_url)
    assert after_down <= {"alembic_version"}
    # and up again: migrations are repeatable
    await asyncio.to_thread(migrations.upgrade, db_url, owners=stack)
    assert await _tables(db_url) == after_up


async def test_every_revision_steps_down_one_at_a_time(db_url: str) -> None:
    from alembic.script import ScriptDirectory

    stack = stack_histories()
    await asyncio.to_thread(migrations.upgrade, db_url, owners=stack)
    for owner in reversed(stack):  # dependents first, as `downgrade` does
        script = ScriptDirectory.from_config(migrations.config(db_url, owner))
        revisions = list(script.walk_revisions())  # head first
        for rev in revisions:
            target = f"{owner.name}@{rev.down_revision or 'base'}"
            await asyncio.to_thread(migrations.downgrade, db_url, target, owners=stack)
    assert await _tables(db_url) <= {"alembic_version"}
