"""One client per subgraph: encode a GraphQL request, send it through the policy, decode.

`SubgraphClient.request` is the one way the executor calls a subgraph over HTTP:
the body is encoded once, the subgraph's `SubgraphPolicy` (headers, dedup,
breaker, retries, cap, timeout) sends it over the `HttpTransport`, and the
answer is checked to be a GraphQL response with well-formed errors.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from router.errors import SubgraphBadResponse
from router.subgraph_call.policy import SubgraphPolicy
from router.subgraph_call.sanitize import sanitize_errors
from router.subgraph_call.transport import HttpTransport, RawResponse

__all__ = ["SubgraphClient"]


class SubgraphClient:
    """A subgraph's name and URL, its traffic policy and its transport.

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
        #: timeouts, retries, breaker, dedup, header propagation
        self.policy = policy
        self.transport = HttpTransport(name, url, client=client, max_connections=max_connections)

    async def request(self, query: str, variables: dict[str, Any] | None) -> dict[str, Any]:
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = variables
        content = orjson.dumps(body)
        return self.decode(await self.policy.send(self.transport, query, content))

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
        await self.transport.aclose()
