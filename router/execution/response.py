"""Execute a prepared query or mutation (no `Defer` node) into one response body."""

from __future__ import annotations

from typing import Any

from router.execution.execute import ExecutionState, run_plan
from router.execution.prepared import PreparedRequest
from router.execution.shape import Shaper
from router.plugins import ExecutionResponseContext

__all__ = ["execute_prepared", "payload_hooks"]


async def payload_hooks(
    prepared: PreparedRequest, body: dict[str, Any], first: bool
) -> dict[str, Any]:
    """Pass one payload through the `execution_response` hooks (callers check there are some)."""
    ctx = ExecutionResponseContext(body, prepared.planned.plan, first, prepared.request)
    for hook in prepared.plugins.execution_response:
        await hook(ctx)
    return ctx.body


async def execute_prepared(
    prepared: PreparedRequest,
) -> dict[str, Any]:
    """Walk the plan, shape `data` against the client's operation, gather the errors."""
    state = ExecutionState(prepared.clients, prepared.variables, prepared.applies)
    await run_plan(prepared.planned.plan.node, state)
    shaper = Shaper(prepared.schema, prepared.context, state.errors)
    op = prepared.operation
    data = shaper.shape_root(state.data, prepared.root, op.selection_set, prepared.introspection)
    if prepared.authorization is not None:
        prepared.authorization.finish(state.errors)
    body: dict[str, Any] = {"data": data}
    if state.errors:
        body["errors"] = state.errors
    if prepared.plugins.execution_response:
        body = await payload_hooks(prepared, body, True)
    return body
