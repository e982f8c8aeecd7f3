"""Pick the HTTP framing of an answer from the client's Accept header.

- `text/event-stream`: GraphQL over SSE, "distinct connections" mode: every
  payload is an `event: next`, the end an `event: complete`; any operation.
- `multipart/mixed` for an operation with `@defer`: Apollo's incremental
  delivery (deferSpec=20220824), one JSON part per payload.
- `multipart/mixed;subscriptionSpec=1.0` for a subscription: Apollo's
  multipart subscriptions (`{"payload": ...}` parts, `{}` heartbeats).
- anything else: one JSON response (a subscription or `@defer` then is an
  error that says which header to send).

Request errors (unparsable, invalid, unplannable) are plain JSON whatever the
Accept header, so a client sees them with their HTTP status.

A streamed query or mutation keeps the router deadline of its request: past it the
stream ends with a GATEWAY_TIMEOUT error payload (the status, 200, is sent already).
A subscription has no deadline: it lasts as long as its events do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Mapping
from typing import Any

import orjson
from starlette.responses import Response

from router.deadline import within
from router.errors import ErrorCode, graphql_error
from router.execution.prepared import PreparedRequest
from router.execution.streams import stream_payloads
from router.http.streaming import StreamResponse
from router.plugins.service import GraphQLResponse
from router.request.pipeline import Router

__all__ = ["MULTIPART_DEFER", "MULTIPART_SUBSCRIPTION", "respond"]

BOUNDARY = b"graphql"
MULTIPART_DEFER = 'multipart/mixed; boundary="graphql"; deferSpec=20220824'
MULTIPART_SUBSCRIPTION = 'multipart/mixed; boundary="graphql"; subscriptionSpec=1.0'
_PART = b"\r\n--" + BOUNDARY + b"\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
_END = b"\r\n--" + BOUNDARY + b"--\r\n"
_NO_CACHE = {"cache-control": "no-cache", "x-accel-buffering": "no"}


async def _sse(payloads: AsyncGenerator[dict[str, Any], None]) -> AsyncGenerator[bytes, None]:
    try:
        async for body in payloads:
            yield b"event: next\ndata: " + orjson.dumps(body) + b"\n\n"
        yield b"event: complete\ndata: \n\n"
    finally:
        await payloads.aclose()


async def _multipart(
    payloads: AsyncGenerator[dict[str, Any], None], wrap: bool = False
) -> AsyncGenerator[bytes, None]:
    try:
        async for body in payloads:
            yield _PART + orjson.dumps({"payload": body} if wrap else body)
        yield _END
    finally:
        await payloads.aclose()


async def _bounded(
    payloads: AsyncGenerator[dict[str, Any], None], deadline: float, incremental: bool
) -> AsyncGenerator[dict[str, Any], None]:
    """`payloads` until the loop time `deadline`, then one GATEWAY_TIMEOUT payload."""
    loop = asyncio.get_running_loop()
    sent = False
    try:
        while True:
            try:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise TimeoutError
                with within(remaining):
                    body = await anext(payloads)
            except StopAsyncIteration:
                return
            except TimeoutError:
                yield _timed_out(incremental, sent)
                return
            sent = True
            yield body
    finally:
        await payloads.aclose()


def _timed_out(incremental: bool, sent: bool) -> dict[str, Any]:
    error = graphql_error("Your request has been timed out", None, ErrorCode.GATEWAY_TIMEOUT)
    if incremental and sent:  # a subsequent payload: the parts still due will not come
        return {"hasNext": False, "errors": [error]}
    body: dict[str, Any] = {"data": None, "errors": [error]}
    if incremental:
        body["hasNext"] = False
    return body


def _payloads(
    prepared: PreparedRequest, deadline: float | None
) -> AsyncGenerator[dict[str, Any], None]:
    payloads = stream_payloads(prepared)
    if deadline is None or prepared.subscription:
        return payloads
    return _bounded(payloads, deadline, prepared.incremental)


def respond(
    router: Router,
    accept: str,
    query: Any,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    *,
    allow_mutation: bool = True,
    deadline: float | None = None,
) -> Awaitable[Response | GraphQLResponse]:
    """A streamed `Response`, or a `GraphQLResponse` for the JSON endpoint to send.

    `deadline` (loop time) is the request's router deadline, which a streamed query or
    mutation keeps after this returns. A plain JSON answer is the router's own coroutine
    (no frame of this one around it: this is every request's path).
    """
    accept = accept.lower()
    if "text/event-stream" not in accept and "multipart/mixed" not in accept:
        return router.execute(query, operation_name, variables, allow_mutation=allow_mutation)
    return _streamed(router, accept, query, operation_name, variables, allow_mutation, deadline)


async def _streamed(
    router: Router,
    accept: str,
    query: Any,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    allow_mutation: bool,
    deadline: float | None,
) -> Response | GraphQLResponse:
    prepared = await router.prepare(query, operation_name, variables, allow_mutation=allow_mutation)
    if isinstance(prepared, GraphQLResponse):
        return prepared
    if "text/event-stream" in accept:
        payloads = _payloads(prepared, deadline)
        return StreamResponse(
            _sse(payloads), "text/event-stream", headers=_NO_CACHE, keepalive=b":\n\n"
        )
    if prepared.incremental:
        payloads = _payloads(prepared, deadline)
        return StreamResponse(_multipart(payloads), MULTIPART_DEFER, headers=_NO_CACHE)
    if prepared.subscription and "subscriptionspec" in accept:
        payloads = stream_payloads(prepared)
        return StreamResponse(
            _multipart(payloads, wrap=True),
            MULTIPART_SUBSCRIPTION,
            headers=_NO_CACHE,
            keepalive=_PART + b"{}",
            keepalive_s=5.0,
        )
    if prepared.subscription:
        return await router.execute(query, operation_name, variables)
    return await router.run(prepared)
