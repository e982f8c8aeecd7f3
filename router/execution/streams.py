"""Execute a prepared request as a stream of GraphQL payloads (any transport).

- a query or mutation without `@defer`: one payload;
- with `@defer`: the initial payload (`hasNext: true`), then subsequent
  payloads `{"incremental": [{"data", "path", "label"?, "errors"?}], "hasNext"}`
  (Apollo's deferSpec=20220824);
- a subscription: one payload per event.

Multipart, SSE and WebSocket transports only frame these payloads.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from router.execution.entities import objects_at
from router.execution.execute import ExecutionState
from router.execution.incremental import PartDone, run_deferred
from router.execution.prepared import PreparedRequest
from router.execution.response import execute_prepared, payload_hooks
from router.execution.shape import Shaper
from router.execution.subscribe import Subscriber, run_subscription
from router.planner.plan import Defer, Subscription

__all__ = ["stream_payloads"]

Path = list[str | int]


async def stream_payloads(
    prepared: PreparedRequest,
    *,
    subscriber: Subscriber | None = None,
) -> AsyncGenerator[dict[str, Any], None]:
    """The walker of a plan's root: `Defer` and `Subscription` deliver several payloads,
    any other node one (`execute_prepared`); `Condition`s at the root are decided first."""
    node = prepared.node
    if isinstance(node, Subscription):
        events = _subscription(prepared, node, subscriber)
    elif isinstance(node, Defer):
        events = _incremental(prepared, node)
    else:
        yield await execute_prepared(prepared)
        return
    try:
        async for body in events:
            yield body
    finally:
        await events.aclose()


def _authorization_errors(prepared: PreparedRequest, errors: list[dict[str, Any]]) -> None:
    """Errors for fields authorization removed from the operation (as `execute_prepared` adds)."""
    if prepared.authorization is not None:
        prepared.authorization.finish(errors)


async def _subscription(
    prepared: PreparedRequest,
    node: Subscription,
    subscriber: Subscriber | None,
) -> AsyncGenerator[dict[str, Any], None]:
    op = prepared.operation
    events = run_subscription(
        node, prepared.clients, prepared.variables, prepared.applies, subscriber
    )
    first = True
    try:
        async for state in events:
            shaper = Shaper(prepared.schema, prepared.context, state.errors)
            data = shaper.shape_root(state.data, prepared.root, op.selection_set, {})
            _authorization_errors(prepared, state.errors)
            body: dict[str, Any] = {"data": data}
            if state.errors:
                body["errors"] = state.errors
            if prepared.plugins.execution_response:
                body = await payload_hooks(prepared, body, first)
            first = False
            yield body
    finally:
        await events.aclose()


async def _incremental(
    prepared: PreparedRequest, node: Defer
) -> AsyncGenerator[dict[str, Any], None]:
    op = prepared.operation
    state = ExecutionState(prepared.clients, prepared.variables, prepared.applies)
    parts = run_deferred(node, state)
    delivered: dict[str, Any] | None = None
    has_next = True
    hooked = bool(prepared.plugins.execution_response)
    try:
        async for part in parts:
            if part.node is None:
                shaper = Shaper(prepared.schema, prepared.context, part.errors)
                delivered = shaper.shape_root(
                    state.data, prepared.root, op.selection_set, prepared.introspection
                )
                _authorization_errors(prepared, part.errors)
                has_next = delivered is not None and part.remaining > 0
                body: dict[str, Any] = {"data": delivered}
                if part.errors:
                    body["errors"] = part.errors
                body["hasNext"] = has_next
                if hooked:
                    body = await payload_hooks(prepared, body, True)
                yield body
                if not has_next:
                    return
                continue
            items = _items(prepared, state, part, delivered)
            has_next = part.remaining > 0
            if items:
                body = {"hasNext": has_next, "incremental": items}
            elif not has_next:
                body = {"hasNext": False}
            else:
                continue
            if hooked:
                body = await payload_hooks(prepared, body, False)
            yield body
        if has_next:
            body = {"hasNext": False}
            if hooked:
                body = await payload_hooks(prepared, body, False)
            yield body
    finally:
        await parts.aclose()


def _items(
    prepared: PreparedRequest,
    state: ExecutionState,
    part: PartDone,
    delivered: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The incremental entries of one finished deferred part (one per object it applies to)."""
    assert part.node is not None
    info = prepared.planned.defers[part.node.id]
    errors = list(part.errors)
    items: list[dict[str, Any]] = []
    for obj, path in objects_at(state.data, part.node.path, state.applies):
        target = _at(delivered, path)
        if not isinstance(target, dict):
            continue  # the parent is null (or was never delivered): nothing to add to
        mine = [e for e in errors if _under(path, e.get("path"))]
        errors = [e for e in errors if not _under(path, e.get("path"))]
        shaper = Shaper(prepared.schema, prepared.context, mine)
        applies, data = shaper.shape_fragment(
            obj, part.node.type_name, info.type_condition, info.selection, path
        )
        if not applies:
            errors.extend(mine)
            continue
        item: dict[str, Any] = {"data": data, "path": path}
        if info.label is not None:
            item["label"] = info.label
        if mine:
            item["errors"] = mine
        if data is not None:
            _merge(target, data)
        items.append(item)
    if errors and items:
        items[0].setdefault("errors", []).extend(errors)
    return items


def _at(value: Any, path: Path) -> Any:
    for el in path:
        if isinstance(el, int):
            if not isinstance(value, list) or el >= len(value):
                return None
            value = value[el]
        else:
            if not isinstance(value, dict):
                return None
            value = value.get(el)
    return value


def _under(path: Path, err_path: Any) -> bool:
    return isinstance(err_path, list) and err_path[: len(path)] == path


def _merge(target: dict[str, Any], src: dict[str, Any]) -> None:
    for k, v in src.items():
        cur = target.get(k)
        if isinstance(cur, dict) and isinstance(v, dict):
            _merge(cur, v)
        else:
            target[k] = v
