"""The generated tests' conftest.py: a private migrated database and the running subgraph.

Features that need a database (a model's registry, a table) ask for it once each;
the fixtures are written once, migrating the framework's history and every
history the features name.
"""

from __future__ import annotations

from chorus.scaffold.plan import Context, Slots, render


def use_database(ctx: Context, slots: Slots, *, history: str | None = None) -> None:
    """Give the tests the `database` and `subgraph` fixtures (migrating `history` too)."""
    if history is not None:
        slots.migration_histories.append(history)
    slots.fixture_imports |= {
        "from __future__ import annotations",
        "from collections.abc import AsyncIterator",
        "from pathlib import Path",
        "import httpx",
        "import pytest",
        "import migrations",
        f"from {ctx.package_name}.app import create_app",
    }


def database_fixtures(ctx: Context, slots: Slots) -> str:
    """The fixtures' source, once every feature contributed."""
    owners = slots.migration_histories
    return render(
        "subgraph/fixture_database.py.tmpl",
        {
            **ctx.values,
            "owners": f", owners={owners!r}".replace("'", '"') if owners else "",
            "owner_doc": " and this subgraph's" if owners else "",
        },
    )
