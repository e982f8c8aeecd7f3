"""Alembic migrations, one history per owner: the only way the database schema changes.

The framework owns the model registry's history (`models/migrations/`); each
subgraph or application that has tables owns its own, in
`<package>/migrations/` next to its code (see `migrations.owners` for the
convention). `chorus migrate` runs the framework's history, then those of the
packages chorus.yaml names; `upgrade(url, owners=[...])` does the same for any
caller (tests, `chorus new subgraph`).

Why one alembic environment per owner, each with its own version table
(`alembic_version_<name>`), rather than one environment over many version
locations with branch labels and `alembic upgrade heads`:
- a team runs, downgrades and deploys its history with only its own revisions
  on hand. With one shared version table, alembic stops on any row naming a
  revision it cannot locate: every migrate would need every team's scripts;
- revision ids are a team's own (each history may start at 0001); one shared
  revision map needs ids unique across all teams;
- downgrading one history can never walk into another's.
The price: alembic knows no dependency between histories. A table that points
into another owner's (the concierge's bookings -> dialogue's turns) relies on
the order: framework first, then owners as listed.

A new subgraph that owns tables creates `<package>/migrations/__init__.py`;
`new_revision(package, "create widgets")` (or `chorus migrate --owner
<package> --new "create widgets"`) writes its first revision, 0001, to fill
in by hand. Nothing else is edited: `chorus migrate` finds the folder through
the subgraph's `app:` in chorus.yaml, and tests run
`upgrade(url, owners=["<package>"])`. Any other alembic command works on one
history through `config(url, "<package>")`.

Revisions name one history: "head" / "base" mean every history given, an id
("0003") the one history among them that has it, and `<name>@<revision>`
("dialogue@base", "generation@-1") exactly that history.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from migrations.owners import FRAMEWORK, MigrationsError, Owner, find, has_history, histories

HERE = Path(__file__).resolve().parent

__all__ = [
    "FRAMEWORK",
    "Lag",
    "MigrationsError",
    "Owner",
    "behind",
    "config",
    "downgrade",
    "find",
    "has_history",
    "histories",
    "new_revision",
    "upgrade",
]


def config(url: str, owner: str | Owner = FRAMEWORK) -> Config:
    """The alembic Config of one history, for any alembic command (history, current, stamp...)."""
    found = owner if isinstance(owner, Owner) else find(owner)
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")  # a folder may have spaces in its path
    cfg.set_main_option("version_locations", str(found.folder))
    cfg.set_main_option("version_table", found.version_table)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _revisions(owner: Owner) -> set[str]:
    script = ScriptDirectory.from_config(config("sqlite://", owner))
    return {rev.revision for rev in script.walk_revisions()}


def _targets(owners: list[Owner], revision: str, every: set[str]) -> list[tuple[Owner, str]]:
    """Which histories a revision moves, and to what."""
    if revision in every:
        return [(owner, revision) for owner in owners]
    name, at, rev = revision.rpartition("@")
    if at:
        match = [o for o in owners if name in (o.name, o.package)]
        if not match:
            raise MigrationsError(
                f"{revision}: no history {name!r} among {', '.join(o.name for o in owners)}"
            )
        return [(match[0], rev)]
    if len(owners) == 1:
        return [(owners[0], revision)]
    match = [o for o in owners if revision in _revisions(o)]
    if len(match) != 1:
        where = ", ".join(o.name for o in match) or "none of " + ", ".join(o.name for o in owners)
        raise MigrationsError(f"revision {revision} is in {where}: say which, as NAME@{revision}")
    return [(match[0], revision)]


def upgrade(url: str, revision: str = "head", owners: Iterable[str | Owner] = ()) -> None:
    """Upgrade the framework's history, then each owner's in order (to head by default)."""
    for owner, rev in _targets(histories(owners), revision, {"head", "heads"}):
        command.upgrade(config(url, owner), rev)


def downgrade(url: str, revision: str = "base", owners: Iterable[str | Owner] = ()) -> None:
    """Downgrade: "base" takes the owners down in reverse order, the framework last.

    `NAME@REV` (or an id only one history has) moves that history alone.
    """
    ordered = histories(owners)
    if revision == "base":
        ordered.reverse()
    for owner, rev in _targets(ordered, revision, {"base"}):
        command.downgrade(config(url, owner), rev)


def new_revision(owner: str | Owner, message: str) -> Path:
    """Write an empty revision on top of one history (ids count up: 0001, 0002, ...)."""
    found = owner if isinstance(owner, Owner) else find(owner)
    numbers = [int(r) for r in _revisions(found) if re.fullmatch(r"\d+", r)]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    script = command.revision(config("sqlite://", found), message=message, rev_id=rev_id)
    if script is None or isinstance(script, list):
        raise MigrationsError(f"alembic wrote no single revision for {found.name}")
    return Path(script.path)


@dataclass(frozen=True)
class Lag:
    """A history that is not at its head: where it is (empty: base) and where it should be."""

    owner: Owner
    current: tuple[str, ...]
    heads: tuple[str, ...]

    def __str__(self) -> str:
        have = ", ".join(self.current) or "base"
        return f"{self.owner.name} at {have}, not {', '.join(self.heads)}"


def behind(connection: sa.Connection, owners: Sequence[str | Owner] = ()) -> list[Lag]:
    """The framework's and the owners' histories that are not at their head.

    Takes a sync connection, e.g. `await async_conn.run_sync(migrations.behind, owners)`.
    """
    lagging = []
    for owner in histories(owners):
        script = ScriptDirectory.from_config(config("sqlite://", owner))
        context = MigrationContext.configure(
            connection, opts={"version_table": owner.version_table}
        )
        current = tuple(sorted(context.get_current_heads()))
        heads = tuple(sorted(script.get_heads()))
        if current != heads:
            lagging.append(Lag(owner, current, heads))
    return lagging
