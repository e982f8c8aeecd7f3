"""Which migration histories `chorus migrate` runs, read from the stack config.

The framework's history always runs first. Then, in chorus.yaml's order, each
subgraph whose package has a `migrations/` folder (the package is the one that
holds the subgraph's `app:` module, e.g. `subgraphs.dialogue` for
`subgraphs.dialogue.app:create_app`), then the packages listed under
`migrations:` (applications that own tables but serve no subgraph).
Nothing here names a subgraph: a new team's history is found by its folder.
"""

from __future__ import annotations

import importlib.util

import migrations
from chorus.config import ChorusConfig


def _package_of(app: str) -> str:
    """`pkg.module:factory` -> the package holding the module (the module itself if a package)."""
    module = app.partition(":")[0]
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:  # `chorus subgraph` reports a wrong app path; nothing to migrate
        spec = None
    if spec is not None and spec.submodule_search_locations:
        return module
    return module.rpartition(".")[0] or module


def owners(config: ChorusConfig) -> list[migrations.Owner]:
    """Every history of the stack, framework first, in the order they must be upgraded."""
    packages = [
        package
        for package in (_package_of(sub.app) for sub in config.subgraphs.values())
        if migrations.has_history(package)
    ]
    # listed explicitly: a missing folder is an error, not a skip
    return migrations.histories([*packages, *config.migrations])


def pick(stack: list[migrations.Owner], names: list[str]) -> list[migrations.Owner]:
    """The histories named (by name or package) in the stack's order, which is the order
    they go up in; a package outside the stack is found by its folder."""
    picked: list[migrations.Owner] = []
    for name in names:
        match = [h for h in stack if name in (h.name, h.package)]
        if match:
            picked.append(match[0])
        elif "." in name:
            picked.append(migrations.find(name))
        else:
            known = ", ".join(h.name for h in stack)
            raise migrations.MigrationsError(f"no history {name!r} in this stack (known: {known})")
    return sorted(picked, key=lambda h: stack.index(h) if h in stack else len(stack))


def migrate(config: ChorusConfig) -> None:
    """Upgrade every history of the stack to its head."""
    migrations.upgrade(config.resolved_database_url(), owners=owners(config))
