"""A new team's package, written to a temporary folder: code plus its own migration history."""

from __future__ import annotations

import uuid
from pathlib import Path

REVISION = '''"""{table}: the new team's first table.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "{table}",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(50), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("{table}")
'''


def write_team_package(root: Path, *, migrations: bool = True) -> tuple[str, str]:
    """`<root>/team_<hex>/` with an `app` module and, by default, `migrations/0001_*.py`.

    Returns (package, table). The name is unique, so no import cache mixes two tests up.
    """
    package = f"team_{uuid.uuid4().hex[:8]}"
    table = f"{package}_widgets"
    folder = root / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text('"""A team\'s subgraph."""\n')
    (folder / "app.py").write_text("def create_app() -> None:\n    raise NotImplementedError\n")
    if migrations:
        (folder / "migrations").mkdir()
        (folder / "migrations" / "__init__.py").write_text('"""Its history."""\n')
        (folder / "migrations" / "0001_widgets.py").write_text(REVISION.format(table=table))
    return package, table
