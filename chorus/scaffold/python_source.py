"""Generated Python that passes `ruff check` (isort rules) and `ruff format --check` as written."""

from __future__ import annotations

import sys
from collections.abc import Iterable

FIRST_PARTY = frozenset({"apps", "chorus", "migrations", "models", "router", "subgraphs", "tests"})


def _group(statement: str) -> int:
    module = statement.split()[1].split(".")[0]
    if module == "__future__":
        return 0
    if module in sys.stdlib_module_names:
        return 1
    return 3 if module in FIRST_PARTY else 2


def _sort_key(statement: str) -> tuple[bool, str]:
    # isort's default: `import x` before `from x import y`, then by module
    return (statement.startswith("from "), statement.split()[1].lower())


def import_block(statements: Iterable[str]) -> str:
    """One-line import statements, grouped as isort does and sorted (no final newline)."""
    groups: dict[int, list[str]] = {}
    for statement in set(statements):
        groups.setdefault(_group(statement), []).append(statement)
    return "\n\n".join("\n".join(sorted(groups[g], key=_sort_key)) for g in sorted(groups))


def definitions(fragments: Iterable[str], *, blank_lines: int = 2) -> str:
    """Top-level definitions, each followed by the blank lines PEP 8 puts between them."""
    return "".join(f.rstrip("\n") + "\n" * (blank_lines + 1) for f in fragments)
