"""One pooled keep-alive HTTP client per subgraph."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from router.errors import SubgraphBadResponse, SubgraphTimeout, SubgraphUnreachable

__all__ = ["SubgraphClient"]

_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json, application/json",
}


class SubgraphClient:
    """POSTs GraphQL requests to one subgraph URL over a shared connection pool.

    Tests pass an `httpx.AsyncClient` with an ASGI or mock transport.
    """

    def __init__(
        self,
        name: str,
        url: str,
        *,
        client: httpx.AsyncClient | None = None,
        timeout_s: float = 30.0,
        max_connections: int = 100,
    ) -> None:
        self.name = name
        self.url = url
        self._owned = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
        )

    async def request(self, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = variables
        try:
            resp = await self._client.post(self.url, content=orjson.dumps(body), headers=_HEADERS)
        except httpx.TimeoutException as exc:
            raise SubgraphTimeout(self.name, "request timed out") from exc
        except httpx.HTTPError as exc:
            raise SubgraphUnreachable(self.name, f"request failed: {exc!r}") from exc
        try:
            payload = orjson.loads(resp.content)
        except orjson.JSONDecodeError as exc:
            raise SubgraphBadResponse(
                self.name, f"HTTP {resp.status_code}, body is not JSON"
            ) from exc
        if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
            raise SubgraphBadResponse(self.name, f"HTTP {resp.status_code}, not a GraphQL response")
        return payload

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()
