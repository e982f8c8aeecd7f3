"""The procrastinate queue's tables, types and functions (PostgreSQL only).

The distributed training engine (CHORUS_TRAINING_ENGINE=procrastinate) keeps its queue
in PostgreSQL; on SQLite this revision does nothing (that engine refuses SQLite). The
SQL is procrastinate's own schema, as the installed release ships it; a later
procrastinate release that changes its schema ships migration files
(procrastinate/sql/migrations/), which a later revision of this history applies.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TABLES = (
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_jobs",
    "procrastinate_workers",
)
_TYPES = (
    "procrastinate_job_to_defer_v1",
    "procrastinate_job_event_type",
    "procrastinate_job_status",
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _driver_execute(sql: str) -> None:
    """Many statements at once, as procrastinate's schema file is: the driver's simple query."""
    bind = op.get_bind()
    raw = bind.connection.dbapi_connection
    assert raw is not None
    driver = raw.driver_connection
    if hasattr(raw, "run_async"):  # asyncpg behind SQLAlchemy's adapter
        raw.run_async(lambda connection: connection.execute(sql))
    else:
        with driver.cursor() as cursor:
            cursor.execute(sql)


def upgrade() -> None:
    if not _postgres():
        return
    present = op.get_bind().execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    if present is not None:  # applied by procrastinate's own CLI before: keep it
        return
    from procrastinate.schema import SchemaManager

    _driver_execute(SchemaManager.get_schema())


def downgrade() -> None:
    if not _postgres():
        return
    bind = op.get_bind()
    functions = bind.execute(
        sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE p.proname LIKE 'procrastinate\\_%' AND n.nspname = current_schema()"
        )
    ).scalars()
    for table in _TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    for function in list(functions):
        op.execute(f"DROP FUNCTION IF EXISTS {function} CASCADE")
    for type_name in _TYPES:
        op.execute(f"DROP TYPE IF EXISTS {type_name} CASCADE")
