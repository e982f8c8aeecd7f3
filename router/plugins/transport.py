"""What a subgraph call stack is made of: `Transport`, the `Layer` that wraps one, and the
request and answer that travel through them.

It lives below the stages so a plugin can wrap a subgraph's transport
(`Plugin.subgraph_transport`) without importing the subgraph-call stage. A
layer whose work ends before the call returns the inner transport's awaitable
itself instead of awaiting it (`send` is a plain method returning an
awaitable), so a pass-through layer costs no coroutine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from router.planner.plan import OperationKind

__all__ = ["Layer", "RawResponse", "SubgraphRequest", "Transport"]


class SubgraphRequest:
    """One GraphQL request on its way down the stack (each layer may change it)."""

    __slots__ = ("body", "content", "headers", "kind")

    def __init__(
        self, body: dict[str, Any], kind: OperationKind, headers: dict[str, str] | None = None
    ) -> None:
        #: {"query", "variables"?}
        self.body = body
        #: the body as JSON (`replace_body` keeps the two in step)
        self.content = orjson.dumps(body)
        #: the fetch's operation kind (`query`, `mutation`): only queries are shared or retried
        self.kind = kind
        #: headers besides the transport's own (content-type, accept, host, length)
        self.headers: dict[str, str] = headers if headers is not None else {}

    def replace_body(self, body: dict[str, Any]) -> None:
        self.body = body
        self.content = orjson.dumps(body)


@dataclass(slots=True)
class RawResponse:
    """A subgraph's HTTP answer before decoding (what in-flight dedup shares)."""

    status: int
    headers: Mapping[str, str]
    content: bytes
    #: set by a layer that already decoded it (the `subgraph_response` hooks); never shared
    decoded: dict[str, Any] | None = None


class Transport(Protocol):
    """Sends one GraphQL request to one subgraph and returns its answer undecoded.

    Raises `SubgraphError` subclasses for what is not an HTTP answer (unreachable,
    timed out, too large).
    """

    def send(self, request: SubgraphRequest) -> Awaitable[RawResponse]: ...

    async def aclose(self) -> None: ...


class Layer:
    """A policy over an inner transport; itself a transport."""

    __slots__ = ("inner",)

    def __init__(self, inner: Transport) -> None:
        self.inner = inner

    def send(self, request: SubgraphRequest) -> Awaitable[RawResponse]:
        return self.inner.send(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
