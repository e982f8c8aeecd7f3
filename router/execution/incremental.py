"""Run a `Defer` plan: the primary part, then each deferred part once its parent is done.

Every part writes into the same response data; each deferred part collects its
own errors, which travel with its incremental payload. Parts whose parents are
done run concurrently and are reported in the order they finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from router.errors import ErrorCode, graphql_error
from router.execution.execute import ExecutionState, run_plan
from router.planner.plan import Defer, DeferredNode

__all__ = ["PartDone", "run_deferred"]


@dataclass(slots=True)
class PartDone:
    """A finished part: `node` is None for the primary one."""

    node: DeferredNode | None
    errors: list[dict[str, Any]]
    remaining: int


async def _run_part(node: DeferredNode, state: ExecutionState) -> PartDone:
    part = ExecutionState(state.clients, state.variables, state.applies)
    part.data = state.data
    try:
        await run_plan(node.node, part)
    except Exception as exc:  # a bug must not hang the stream: report it with the part
        part.errors.append(
            graphql_error(f"deferred fetch failed: {exc!r}", [], ErrorCode.INTERNAL_SERVER_ERROR)
        )
    return PartDone(node, part.errors, 0)


async def run_deferred(plan: Defer, state: ExecutionState) -> AsyncGenerator[PartDone, None]:
    """Yield the primary part, then every deferred part as it finishes.

    The caller stops early (closing the iterator) when the primary data is
    null; outstanding fetches are then cancelled.
    """
    children: dict[int, list[DeferredNode]] = {}
    for d in plan.deferred:
        children.setdefault(d.depends, []).append(d)
    remaining = len(plan.deferred)
    await run_plan(plan.primary, state)
    yield PartDone(None, state.errors, remaining)
    running: set[asyncio.Task[PartDone]] = set()

    def start(parent: int) -> None:
        for child in children.get(parent, ()):
            running.add(asyncio.create_task(_run_part(child, state)))

    start(0)
    try:
        while running:
            done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            finished = [t.result() for t in done]
            running.difference_update(done)
            for part in sorted(finished, key=lambda p: p.node.id if p.node is not None else 0):
                assert part.node is not None
                start(part.node.id)
                remaining -= 1
                part.remaining = remaining
                yield part
    finally:
        for task in running:
            task.cancel()
