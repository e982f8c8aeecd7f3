"""One client per subgraph: encode a GraphQL request, send it through the policy, decode.

`SubgraphClient.request` is the one way the executor calls a subgraph over HTTP:
the body is encoded once, the subgraph's `SubgraphPolicy` (headers, dedup,
breaker, retries, cap, timeout) sends it over the `HttpTransport`, and the
answer is checked to be a GraphQL response with well-formed errors. With
`subgraph_request` / `subgraph_response` plugin hooks, the propagated headers
and the body pass them first, and the decoded answer after.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from router.context import current_request
from router.errors import SubgraphBadResponse
from router.planner.plan import OperationKind
from router.plugins import PluginChain, Reject, SubgraphRequestContext, SubgraphResponseContext
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
        plugins: PluginChain | None = None,
    ) -> None:
        self.name = name
        self.url = url
        #: timeouts, retries, breaker, dedup, header propagation
        self.policy = policy
        chain = plugins if plugins is not None else PluginChain()
        self._on_request = chain.subgraph_request
        self._on_response = chain.subgraph_response
        self._hooked = bool(self._on_request or self._on_response)
        self.transport = HttpTransport(name, url, client=client, max_connections=max_connections)

    async def request(
        self, query: str, variables: dict[str, Any] | None, kind: OperationKind = "query"
    ) -> dict[str, Any]:
        """One GraphQL request; `kind` is the fetch's operation kind, from the plan."""
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = variables
        if self._hooked:
            return await self._hooked_request(query, body)
        content = orjson.dumps(body)
        return self.decode(await self.policy.send(self.transport, query, content))

    async def _hooked_request(self, query: str, body: dict[str, Any]) -> dict[str, Any]:
        request = current_request.get()
        headers = self.policy.outgoing_headers(request)
        ctx = SubgraphRequestContext(self.name, self.url, headers, body, request)
        try:
            for hook in self._on_request:
                await hook(ctx)
        except Reject as r:
            raw = RawResponse(r.status, r.headers, orjson.dumps(r.body))
        else:
            raw = await self.policy.send(self.transport, query, orjson.dumps(ctx.body), ctx.headers)
        payload = self.decode(raw)
        if self._on_response:
            rctx = SubgraphResponseContext(
                self.name, self.url, raw.status, dict(raw.headers), payload, request
            )
            for rhook in self._on_response:
                await rhook(rctx)
            payload = rctx.body
        return payload

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
