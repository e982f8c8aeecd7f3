"""The one way to call a subgraph: a `Transport` sends one GraphQL request, gets one answer.

Every policy (header propagation, hooks, dedup, retry, breaker, timeout, concurrency
cap) is a layer: it wraps a transport and is itself one, so `registry.py` stacks
them once per subgraph (from plugins' `subgraph_transport`) and the executor only
ever calls `send`. The innermost transport talks to the network: `Http1Transport`
(the router's pooled HTTP/1.1 client, `http1.py`) or `HttpxTransport` (any
`httpx.AsyncClient`; tests hand in one with an ASGI transport). Tests and production
differ in that innermost transport only.

The types of the stack (`Transport`, `Layer`, `SubgraphRequest`,
`RawResponse`) live in `router/plugins/transport.py`, below the stages, so a
plugin can wrap a transport (`Plugin.subgraph_transport`); the layers import them
from there.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from router import telemetry
from router.errors import SubgraphBadResponse, SubgraphTimeout, SubgraphUnreachable
from router.plugins.transport import RawResponse, SubgraphRequest
from router.subgraph_call.http1 import ConnectionPool, ResponseTooLarge

__all__ = ["Http1Transport", "HttpxTransport"]


class Http1Transport:
    """POSTs to one subgraph URL over the router's keep-alive HTTP/1.1 pool."""

    __slots__ = ("_pool", "max_bytes", "name")

    def __init__(
        self, name: str, url: str, *, max_connections: int = 100, max_bytes: int | None = None
    ) -> None:
        self.name = name
        self.max_bytes = max_bytes
        self._pool = ConnectionPool(url, max_connections=max_connections)

    async def send(self, request: SubgraphRequest) -> RawResponse:
        """POST the request; the body is read up to `max_bytes` (larger is an error)."""
        headers: Mapping[str, str] | None = request.headers
        if telemetry.TRACING:
            headers = telemetry.with_trace_context(headers)
        try:
            r = await self._pool.post(request.content, headers, self.max_bytes)
        except ResponseTooLarge as exc:
            raise SubgraphBadResponse(self.name, str(exc)) from exc
        except OSError as exc:
            raise SubgraphUnreachable(self.name, f"request failed: {exc!r}") from exc
        return RawResponse(r.status, r.headers, r.body)

    async def aclose(self) -> None:
        await self._pool.aclose()


_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json, application/json",
}


class HttpxTransport:
    """POSTs through a given `httpx.AsyncClient` (ASGI or mock transports in tests).

    The client belongs to whoever passed it: `aclose` leaves it open.
    """

    __slots__ = ("_client", "max_bytes", "name", "url")

    def __init__(
        self, name: str, url: str, client: httpx.AsyncClient, *, max_bytes: int | None = None
    ) -> None:
        self.name = name
        self.url = url
        self.max_bytes = max_bytes
        self._client = client

    async def send(self, request: SubgraphRequest) -> RawResponse:
        extra = telemetry.with_trace_context(request.headers)
        headers = {**extra, **_HEADERS} if extra else _HEADERS
        max_bytes = self.max_bytes
        try:
            req = self._client.build_request(
                "POST", self.url, content=request.content, headers=headers
            )
            resp = await self._client.send(req, stream=True)
            try:
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise SubgraphBadResponse(
                            self.name, f"response is larger than {max_bytes} bytes"
                        )
                    chunks.append(chunk)
            finally:
                await resp.aclose()
        except httpx.TimeoutException as exc:
            raise SubgraphTimeout(self.name, "request timed out") from exc
        except httpx.HTTPError as exc:
            raise SubgraphUnreachable(self.name, f"request failed: {exc!r}") from exc
        return RawResponse(resp.status_code, resp.headers, b"".join(chunks))

    async def aclose(self) -> None:
        return None
