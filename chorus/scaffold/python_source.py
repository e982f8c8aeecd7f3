"""Generated Python that passes `ruff check` (isort rules) and `ruff format --check` as written."""

from __future__ import annotations

import sys
from collections.abc import Iterable

LINE_LENGTH = 100
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


def _name_key(name: str) -> tuple[int, str]:
    # isort's order-by-type: CONSTANTS, then Classes, then the rest
    rank = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return (rank, name.lower())


def _merged(statements: Iterable[str]) -> list[str]:
    """`from m import a` and `from m import b, c` become one statement; wrapped past 100 chars."""
    plain: set[str] = set()
    names: dict[str, set[str]] = {}
    for statement in statements:
        if statement.startswith("from "):
            module, _, imported = statement[len("from ") :].partition(" import ")
            names.setdefault(module, set()).update(n.strip() for n in imported.split(","))
        else:
            plain.add(statement)
    merged = sorted(plain)
    for module, found in names.items():
        listed = sorted(found, key=_name_key)
        line = f"from {module} import {', '.join(listed)}"
        if len(line) > LINE_LENGTH:
            line = f"from {module} import (\n" + "".join(f"    {n},\n" for n in listed) + ")"
        merged.append(line)
    return merged


def import_block(statements: Iterable[str]) -> str:
    """Import statements (one name or several), merged, grouped and sorted as isort does.

    No final newline.
    """
    groups: dict[int, list[str]] = {}
    for statement in _merged(statements):
        groups.setdefault(_group(statement), []).append(statement)
    return "\n\n".join("\n".join(sorted(groups[g], key=_sort_key)) for g in sorted(groups))


def definitions(fragments: Iterable[str], *, blank_lines: int = 2) -> str:
    """Top-level definitions, each followed by the blank lines PEP 8 puts between them."""
    return "".join(f.rstrip("\n") + "\n" * (blank_lines + 1) for f in fragments)
