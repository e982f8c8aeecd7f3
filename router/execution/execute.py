"""Walk a QueryPlan: send fetches, merge their results, collect re-pathed errors."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import orjson

from router import telemetry
from router.errors import ErrorCode, SubgraphError, graphql_error
from router.execution.entities import (
    Applies,
    MissingInput,
    apply_renames,
    build_representation,
    deep_merge,
    objects_at,
)
from router.execution.unfilled import input_failed, no_data
from router.planner.plan import Condition, Fetch, Flatten, Parallel, PlanNode, Sequence
from router.subgraph_call.client import SubgraphClient

__all__ = ["ExecutionState", "run_plan", "subgraph_error"]

Path = list[str | int]


class ExecutionState:
    """The response being built by one request."""

    __slots__ = ("applies", "clients", "data", "errors", "variables")

    def __init__(
        self,
        clients: Mapping[str, SubgraphClient],
        variables: dict[str, Any],
        applies: Applies,
    ) -> None:
        self.clients = clients
        self.variables = variables
        self.applies = applies
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []


async def run_plan(node: PlanNode | None, state: ExecutionState) -> None:
    """Walk the nodes that finish once: fetches, their sequences, parallels and conditions.

    `Defer` and `Subscription` deliver several payloads: `streams.py` walks them.
    """
    if node is None:
        return
    if isinstance(node, Flatten):
        await _run_entities(node, state)
    elif isinstance(node, Sequence):
        for child in node.nodes:
            await run_plan(child, state)
    elif isinstance(node, Parallel):
        await asyncio.gather(*(run_plan(child, state) for child in node.nodes))
    elif isinstance(node, Fetch):
        await _run_root(node, state)
    elif isinstance(node, Condition):
        branch = node.if_clause if state.variables.get(node.condition) else node.else_clause
        await run_plan(branch, state)
    else:
        raise TypeError(f"a {type(node).__name__} node runs at the root of a plan only")


def _variables(fetch: Fetch, state: ExecutionState) -> dict[str, Any]:
    v = state.variables
    return {name: v[name] for name in fetch.variable_usages if name in v}


async def _send(
    fetch: Fetch, variables: dict[str, Any], state: ExecutionState, error_path: Path
) -> dict[str, Any] | None:
    client = state.clients.get(fetch.service_name)
    if client is None:
        state.errors.append(
            graphql_error(
                f"subgraph '{fetch.service_name}' is not configured",
                error_path,
                ErrorCode.SUBGRAPH_FETCH_FAILED,
                {"serviceName": fetch.service_name},
            )
        )
        return None
    reps = variables.get("representations")
    with telemetry.fetch_span(fetch.service_name, len(reps) if isinstance(reps, list) else None):
        try:
            result = await client.request(fetch.operation, variables, fetch.operation_kind)
        except SubgraphError as exc:
            telemetry.record_fetch_error(fetch.service_name)
            state.errors.append(
                graphql_error(str(exc), error_path, exc.code, {"serviceName": fetch.service_name})
            )
            return None
    if result.get("errors"):
        telemetry.record_fetch_error(fetch.service_name)
    return result


def subgraph_error(err: Any, path: Path | None, service: str) -> dict[str, Any]:
    if not isinstance(err, dict):
        return graphql_error(str(err), path or [], None, {"serviceName": service})
    out: dict[str, Any] = {"message": str(err.get("message", "subgraph error"))}
    out["path"] = path if path is not None else []
    ext = err.get("extensions")
    ext = dict(ext) if isinstance(ext, dict) else {}
    ext.setdefault("serviceName", service)
    out["extensions"] = ext
    return out


async def _run_root(fetch: Fetch, state: ExecutionState) -> None:
    result = await _send(fetch, _variables(fetch, state), state, [])
    if result is None:
        return
    data = result.get("data")
    errors = result.get("errors")
    if isinstance(data, dict):
        if fetch.renames is not None:
            apply_renames(data, fetch.renames, state.applies)
        deep_merge(state.data, data)
    elif not errors:
        no_data(fetch, None, [], state.errors, state.applies)
    for err in errors or ():
        p = err.get("path") if isinstance(err, dict) else None
        state.errors.append(subgraph_error(err, list(p) if p else None, fetch.service_name))


async def _run_entities(node: Flatten, state: ExecutionState) -> None:
    fetch = node.node
    assert fetch.requires is not None
    targets = objects_at(state.data, node.path, state.applies)
    if not targets:
        return
    reps: list[dict[str, Any]] = []
    index: dict[bytes, int] = {}
    owners: list[list[tuple[dict[str, Any], Path]]] = []
    for obj, path in targets:
        try:
            rep = build_representation(obj, fetch.requires, state.applies)
        except MissingInput as missing:
            input_failed(fetch, obj, path, missing, state.errors, state.applies)
            continue
        if rep is None:
            continue
        k = orjson.dumps(rep, option=orjson.OPT_SORT_KEYS)
        i = index.get(k)
        if i is None:
            i = index[k] = len(reps)
            reps.append(rep)
            owners.append([])
        owners[i].append((obj, path))
    if not reps:
        return
    variables = _variables(fetch, state)
    variables["representations"] = reps
    # A failed fetch is reported on the first field it should have provided, so the
    # client sees which field is null (e.g. ["say", "reply"]) and the rest stands.
    obj, path = owners[0][0]
    first = _first_fill(fetch, obj, state)
    result = await _send(fetch, variables, state, [*path, first] if first else path)
    if result is None:
        return
    data = result.get("data")
    errors = result.get("errors")
    entities = data.get("_entities") if isinstance(data, dict) else None
    if isinstance(entities, list):
        if fetch.renames is not None:
            apply_renames(entities, fetch.renames, state.applies)
        for i, ent in enumerate(entities[: len(owners)]):
            if isinstance(ent, dict):
                for obj, _ in owners[i]:
                    deep_merge(obj, ent, fetch.drop_typename)
    elif not errors:
        for group in owners:
            for obj, path in group:
                no_data(fetch, obj, path, state.errors, state.applies)
    for err in errors or ():
        state.errors.append(
            subgraph_error(err, _entity_error_path(err, owners), fetch.service_name)
        )


def _first_fill(fetch: Fetch, obj: dict[str, Any], state: ExecutionState) -> str | None:
    """The response key of the first field `fetch` fills on `obj` (its error's path)."""
    typename = obj.get("__typename")
    for f in fetch.fills:
        cond = f.type_condition
        if cond is None or (isinstance(typename, str) and state.applies(cond, typename)):
            return f.key
    return fetch.fills[0].key if fetch.fills else None


def _entity_error_path(err: Any, owners: list[list[tuple[dict[str, Any], Path]]]) -> Path:
    p = err.get("path") if isinstance(err, dict) else None
    if isinstance(p, list) and len(p) >= 2 and p[0] == "_entities" and isinstance(p[1], int):
        if 0 <= p[1] < len(owners):
            return [*owners[p[1]][0][1], *p[2:]]
    return list(owners[0][0][1]) if owners else []
