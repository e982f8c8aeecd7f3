"""The one-time move from the single shared chain to one history per owner.

Until per-owner histories, one chain ran 0001 (model registry) -> 0002
(dialogue tables and bookings) -> 0003 (replies), its state in `alembic_version`.
The same revisions now live in the framework's, dialogue's, concierge's and
generation's histories. A database whose `alembic_version` still names the old
0002 or 0003 gets each history's version table stamped where that chain had
taken it, and `alembic_version` set back to the framework's 0001, all in the
migration's transaction: no table is recreated, no row moves.
"""

from __future__ import annotations

import sqlalchemy as sa

LEGACY_TABLE = "alembic_version"

# The single chain's revision -> (version table -> revision) after the split.
_AT_0002 = {
    "alembic_version": "0001",
    "alembic_version_dialogue": "0002",
    "alembic_version_concierge": "0001",
}
SPLIT: dict[str, dict[str, str]] = {
    "0002": _AT_0002,
    "0003": {**_AT_0002, "alembic_version_generation": "0003"},
}


def _version_table(name: str) -> sa.Table:
    """The shape alembic gives a version table (so alembic reads ours as its own)."""
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("version_num", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("version_num", name=f"{name}_pkc"),
    )


def restamp(connection: sa.Connection) -> list[str]:
    """Stamp every history of a database at the old chain's 0002/0003; says what it did."""
    if not sa.inspect(connection).has_table(LEGACY_TABLE):
        return []
    legacy = _version_table(LEGACY_TABLE)
    rows = [r for (r,) in connection.execute(sa.select(legacy.c.version_num))]
    old = next((r for r in rows if r in SPLIT), None)
    if old is None:
        return []
    done = []
    for name, revision in SPLIT[old].items():
        table = _version_table(name)
        table.create(connection, checkfirst=True)
        connection.execute(sa.delete(table))
        connection.execute(sa.insert(table).values(version_num=revision))
        done.append(f"{name}={revision}")
    return done
