"""Run a `Subscription` plan: one subgraph stream, and the rest of the plan per event.

Every event from the subgraph starts a fresh response (its data and errors);
the `rest` part (entity fetches to other subgraphs) runs on it before it is
handed on. A subgraph that refuses the subscription or drops the connection
ends the stream with one last event carrying the error.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

from router.errors import ErrorCode, SubgraphError, graphql_error
from router.execution.entities import Applies, apply_renames
from router.execution.execute import ExecutionState, run_plan, subgraph_error
from router.planner.plan import Subscription
from router.subgraph_call.client import SubgraphClient
from router.subgraph_call.ws_client import SubgraphStreamError, subscribe

__all__ = ["Subscriber", "run_subscription"]

#: (service, url, query, variables) -> the subgraph's `next` payloads
Subscriber = Callable[[str, str, str, dict[str, Any] | None], AsyncGenerator[dict[str, Any], None]]


def _default_subscriber(
    service: str, url: str, query: str, variables: dict[str, Any] | None
) -> AsyncGenerator[dict[str, Any], None]:
    return subscribe(service, url, query, variables)


async def run_subscription(
    plan: Subscription,
    clients: Mapping[str, SubgraphClient],
    variables: dict[str, Any],
    applies: Applies,
    subscriber: Subscriber | None = None,
) -> AsyncGenerator[ExecutionState, None]:
    """Yield one finished `ExecutionState` per subgraph event."""
    fetch = plan.primary
    service = fetch.service_name
    client = clients.get(service)
    if client is None:
        state = ExecutionState(clients, variables, applies)
        state.data = {}
        state.errors.append(
            graphql_error(
                f"subgraph '{service}' is not configured", [], ErrorCode.SUBGRAPH_FETCH_FAILED
            )
        )
        yield state
        return
    used = {n: variables[n] for n in fetch.variable_usages if n in variables}
    stream = (subscriber or _default_subscriber)(service, client.url, fetch.operation, used)
    try:
        while True:
            try:
                event = await anext(stream)
            except StopAsyncIteration:
                return
            except SubgraphError as exc:
                yield _failed(exc, service, clients, variables, applies)
                return
            state = ExecutionState(clients, variables, applies)
            data = event.get("data")
            if isinstance(data, dict):
                if fetch.renames is not None:
                    apply_renames(data, fetch.renames, applies)
                state.data = data
            for err in event.get("errors") or ():
                p = err.get("path") if isinstance(err, dict) else None
                state.errors.append(subgraph_error(err, list(p) if p else None, service))
            if state.data:
                await run_plan(plan.rest, state)
            yield state
    finally:
        await stream.aclose()


def _failed(
    exc: SubgraphError,
    service: str,
    clients: Mapping[str, SubgraphClient],
    variables: dict[str, Any],
    applies: Applies,
) -> ExecutionState:
    state = ExecutionState(clients, variables, applies)
    if isinstance(exc, SubgraphStreamError) and exc.errors:
        state.errors.extend(subgraph_error(e, None, service) for e in exc.errors)
    else:
        state.errors.append(graphql_error(str(exc), [], exc.code, {"serviceName": service}))
    return state
