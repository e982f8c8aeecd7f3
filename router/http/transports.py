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
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import orjson
from starlette.responses import Response

from router.execution.streams import stream_payloads
from router.http.streaming import StreamResponse
from router.request.pipeline import Router
from router.request.response import GraphQLResponse

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


async def respond(
    router: Router,
    accept: str,
    query: Any,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    *,
    allow_mutation: bool = True,
) -> Response | GraphQLResponse:
    """A streamed `Response`, or a `GraphQLResponse` for the JSON endpoint to send."""
    accept = accept.lower()
    sse = "text/event-stream" in accept
    multipart = "multipart/mixed" in accept
    if not sse and not multipart:
        return await router.execute(
            query,
            operation_name,
            variables,
            allow_mutation=allow_mutation,
        )
    prepared = await router.prepare(query, operation_name, variables, allow_mutation=allow_mutation)
    if isinstance(prepared, GraphQLResponse):
        return prepared
    if sse:
        payloads = stream_payloads(prepared)
        return StreamResponse(
            _sse(payloads), "text/event-stream", headers=_NO_CACHE, keepalive=b":\n\n"
        )
    if prepared.incremental:
        payloads = stream_payloads(prepared)
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
