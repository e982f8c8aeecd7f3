"""One pooled keep-alive HTTP client per subgraph.

The router's own clients speak HTTP/1.1 through `http1.ConnectionPool` (the
lean transport: most of a federated request's CPU used to be the HTTP
client); tests hand in an `httpx.AsyncClient` with an ASGI or mock transport,
which is then used as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from router import telemetry
from router.errors import SubgraphBadResponse, SubgraphTimeout, SubgraphUnreachable
from router.executor.http1 import ConnectionPool, ResponseTooLarge
from router.security.subgraph_errors import sanitize_errors

if TYPE_CHECKING:
    from router.traffic.policy import SubgraphPolicy

__all__ = ["RawResponse", "SubgraphClient"]


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


class SubgraphClient:
    """POSTs GraphQL requests to one subgraph URL over a keep-alive connection pool.

    Tests pass an `httpx.AsyncClient` with an ASGI or mock transport.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        policy: SubgraphPolicy,
        client: httpx.AsyncClient | None = None,
        max_connections: int = 100,
    ) -> None:
        self.name = name
        self.url = url
        #: timeouts, retries, breaker, dedup, header propagation (router/traffic)
        self.policy = policy
        self._client = client
        self._pool = (
            ConnectionPool(url, max_connections=max_connections) if client is None else None
        )

    async def request(self, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = variables
        content = orjson.dumps(body)
        return self.decode(await self.policy.send(self, query, content))

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

    def decode(self, raw: RawResponse) -> dict[str, Any]:
        try:
            payload = orjson.loads(raw.content)
        except orjson.JSONDecodeError as exc:
            raise SubgraphBadResponse(self.name, f"HTTP {raw.status}, body is not JSON") from exc
        if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
            raise SubgraphBadResponse(self.name, f"HTTP {raw.status}, not a GraphQL response")
        data, errors = payload.get("data"), payload.get("errors")
        if not (data is None or isinstance(data, dict)) or not (
            errors is None or isinstance(errors, list)
        ):
            raise SubgraphBadResponse(self.name, f"HTTP {raw.status}, malformed GraphQL response")
        if errors:
            payload["errors"] = sanitize_errors(errors)
        return payload

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
