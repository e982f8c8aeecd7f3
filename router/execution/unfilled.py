"""Errors for fields a fetch should have filled and did not, though nothing said why.

Two cases would otherwise leave a silent null: a fetch skipped on an object
because an input of its representation is missing (the `@requires` field, or
key, was never fetched: the subgraph computing it failed or is down), and a
subgraph answering `{"data": null}` without errors. Each field the client
asked that fetch for gets its own error, at its own path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from router.errors import ErrorCode, graphql_error
from router.execution.entities import Applies, MissingInput
from router.planner.plan import Fetch, FetchField

__all__ = ["input_failed", "no_data"]

Path = list[str | int]


def _client_fills(fetch: Fetch, obj: dict[str, Any] | None, applies: Applies) -> list[FetchField]:
    """The client's fields `fetch` fills on `obj` (all root ones when `obj` is None)."""
    typename = obj.get("__typename") if obj is not None else None
    return [
        f
        for f in fetch.fills
        if f.client
        and (
            f.type_condition is None
            or (isinstance(typename, str) and applies(f.type_condition, typename))
        )
    ]


def _report(
    fetch: Fetch,
    obj: dict[str, Any] | None,
    path: Path,
    errors: list[dict[str, Any]],
    applies: Applies,
    code: ErrorCode,
    message: Callable[[FetchField], str],
) -> None:
    for f in _client_fills(fetch, obj, applies):
        errors.append(
            graphql_error(message(f), [*path, f.key], code, {"serviceName": fetch.service_name})
        )


def input_failed(
    fetch: Fetch,
    obj: dict[str, Any],
    path: Path,
    missing: MissingInput,
    errors: list[dict[str, Any]],
    applies: Applies,
) -> None:
    """`fetch` cannot run on `obj`: an error on each field it would have filled there."""
    typename = obj.get("__typename")
    owner = typename if isinstance(typename, str) else missing.type_condition or "?"
    on = missing.type_condition or owner
    if (missing.type_condition, missing.name) in fetch.requires_inputs:
        why = f"its @requires input {on}.{missing.name} failed"
    else:
        why = f"its key field {on}.{missing.name} is missing"
    _report(
        fetch,
        obj,
        path,
        errors,
        applies,
        ErrorCode.SUBGRAPH_FETCH_FAILED,
        lambda f: f"Cannot resolve {owner}.{f.name}: {why}",
    )


def no_data(
    fetch: Fetch,
    obj: dict[str, Any] | None,
    path: Path,
    errors: list[dict[str, Any]],
    applies: Applies,
) -> None:
    """The subgraph answered without data and without errors: an error on each field."""
    typename = obj.get("__typename") if obj is not None else None
    prefix = f"{typename}." if isinstance(typename, str) else ""
    _report(
        fetch,
        obj,
        path,
        errors,
        applies,
        ErrorCode.SUBGRAPH_BAD_RESPONSE,
        lambda f: (
            f"subgraph '{fetch.service_name}' answered no data and no errors for {prefix}{f.name}"
        ),
    )
