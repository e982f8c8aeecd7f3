"""The transport of subgraph calls: one POST, its answer undecoded.

The router's own transport speaks HTTP/1.1 through `http1.ConnectionPool` (the
lean client: most of a federated request's CPU used to be the HTTP client);
tests hand in an `httpx.AsyncClient` with an ASGI or mock transport, which is
then used as is. Policies (`policy.py`) wrap a transport; they never see how
it talks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from router import telemetry
from router.errors import SubgraphBadResponse, SubgraphTimeout, SubgraphUnreachable
from router.subgraph_call.http1 import ConnectionPool, ResponseTooLarge

__all__ = ["HttpTransport", "RawResponse"]


@dataclass(slots=True)
class RawResponse:
    """A subgraph's HTTP answer before decoding (what in-flight dedup shares)."""

    status: int
    headers: Mapping[str, str]
    content: bytes


_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json, application/json",
}


class HttpTransport:
    """POSTs to one subgraph URL over a keep-alive pool (or a given httpx client)."""

    __slots__ = ("_client", "_pool", "name", "url")

    def __init__(
        self,
        name: str,
        url: str,
        *,
        client: httpx.AsyncClient | None = None,
        max_connections: int = 100,
    ) -> None:
        self.name = name
        self.url = url
        self._client = client
        self._pool = (
            ConnectionPool(url, max_connections=max_connections) if client is None else None
        )

    async def fetch(
        self,
        content: bytes,
        extra_headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> RawResponse:
        """POST `content`; the body is read up to `max_bytes` (larger is an error)."""
        extra_headers = telemetry.with_trace_context(extra_headers)
        if self._pool is not None:
            try:
                r = await self._pool.post(content, extra_headers, max_bytes)
            except ResponseTooLarge as exc:
                raise SubgraphBadResponse(self.name, str(exc)) from exc
            except OSError as exc:
                raise SubgraphUnreachable(self.name, f"request failed: {exc!r}") from exc
            return RawResponse(r.status, r.headers, r.body)
        assert self._client is not None
        headers = {**extra_headers, **_HEADERS} if extra_headers else _HEADERS
        try:
            req = self._client.build_request("POST", self.url, content=content, headers=headers)
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
        if self._pool is not None:
            await self._pool.aclose()
