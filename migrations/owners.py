"""Who owns a migration history: a package with a `migrations/` folder beside its code.

The convention a subgraph or application follows to own tables: put its alembic
revisions in `<package>/migrations/` (a package: it has an `__init__.py`, so the
revisions ship in the wheel) and list the package where `chorus migrate` looks
(a subgraph's `app:` in chorus.yaml, or chorus.yaml's `migrations:`). The
history is named after the package's last segment (`subgraphs.dialogue` ->
`dialogue`) and records where it stands in its own version table,
`alembic_version_<name>`; the framework's history (`models`, the model registry)
keeps alembic's plain `alembic_version`.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

FRAMEWORK = "models"
"""The framework's own history: the model registry. Every upgrade runs it first."""

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class MigrationsError(Exception):
    """A history cannot be found or a revision cannot be placed; the message says which."""


@dataclass(frozen=True)
class Owner:
    """One alembic history: whose it is, where its revisions are, where its state is kept."""

    package: str
    name: str
    folder: Path
    version_table: str


def find(package: str) -> Owner:
    """The history in `<package>/migrations/`; a clear error when there is none."""
    module = f"{package}.migrations"
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError as exc:
        raise MigrationsError(f"{package}: no such package ({exc})") from exc
    if spec is None or not spec.submodule_search_locations:
        raise MigrationsError(
            f"{package} has no migration history: create {package.replace('.', '/')}/migrations/"
            " with an __init__.py and its alembic revisions"
        )
    name = package.rpartition(".")[2]
    if not _NAME.match(name):
        raise MigrationsError(f"{package}: {name!r} cannot name a history (lower case, digits, _)")
    table = "alembic_version" if package == FRAMEWORK else f"alembic_version_{name}"
    return Owner(package, name, Path(next(iter(spec.submodule_search_locations))), table)


def has_history(package: str) -> bool:
    """Whether `package` follows the convention (without importing its code)."""
    try:
        find(package)
    except MigrationsError:
        return False
    return True


def histories(packages: Iterable[str | Owner] = ()) -> list[Owner]:
    """The framework's history, then each package's in the given order, without repeats."""
    found: list[Owner] = [find(FRAMEWORK)]
    for item in packages:
        owner = item if isinstance(item, Owner) else find(item)
        if owner.package in {o.package for o in found}:
            continue
        clash = next((o for o in found if o.name == owner.name), None)
        if clash is not None:
            raise MigrationsError(
                f"{owner.package} and {clash.package} would both keep their history in"
                f" {owner.version_table}; rename one package"
            )
        found.append(owner)
    return found
