"""Printing any trainer's metrics: headline numbers in one table, nested ones in their own."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.table import Table


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def _label(key: str) -> str:
    return key.replace("_", " ")


def print_metrics(console: Console, metrics: Mapping[str, Any], title: str) -> None:
    """Scalars as `name value` rows; a mapping of mappings or a list of mappings as a table."""
    head = Table(title=title, show_header=False)
    nested: list[tuple[str, Any]] = []
    for key, value in metrics.items():
        if isinstance(value, Mapping | list):
            nested.append((key, value))
        else:
            head.add_row(_label(key), _cell(value))
    console.print(head)
    for key, value in nested:
        table = _table(_label(key), value)
        if table is not None:
            console.print(table)


def _table(title: str, value: Mapping[str, Any] | list[Any]) -> Table | None:
    if not value:
        return None
    if isinstance(value, Mapping):
        rows = list(value.items())
        if all(isinstance(v, Mapping) for _, v in rows):
            columns = list(dict.fromkeys(k for _, v in rows for k in v))
            table = Table("", *columns, title=title)
            for key, row in rows:
                table.add_row(str(key), *(_cell(row.get(c, "")) for c in columns))
            return table
        table = Table(show_header=False, title=title)
        for key, item in rows:
            table.add_row(str(key), _cell(item))
        return table
    if all(isinstance(v, Mapping) for v in value):
        columns = list(dict.fromkeys(k for v in value for k in v))
        table = Table(*columns, title=title)
        for row in value[:20]:
            table.add_row(*(_cell(row.get(c, "")) for c in columns))
        return table
    table = Table(show_header=False, title=title)
    for item in value[:20]:
        table.add_row(_cell(item))
    return table
