"""One client per subgraph: a GraphQL request in, the checked GraphQL answer out.

`SubgraphClient.request` is the one way the executor calls a subgraph over
HTTP: it sends the request down the subgraph's stack (`policy.py`: headers,
hooks, dedup, retry, breaker, timeout, cap over a transport) and decodes the
answer (`decode.py`).
"""

from __future__ import annotations

from typing import Any

from router.planner.plan import OperationKind
from router.plugins.transport import SubgraphRequest, Transport
from router.subgraph_call.decode import decode

__all__ = ["SubgraphClient"]


class SubgraphClient:
    __slots__ = ("name", "transport", "url")

    def __init__(self, name: str, url: str, transport: Transport) -> None:
        self.name = name
        self.url = url
        #: the composed stack (its outermost layer)
        self.transport = transport

    async def request(
        self, query: str, variables: dict[str, Any] | None, kind: OperationKind
    ) -> dict[str, Any]:
        """Send `query`; `kind` is the fetch's operation kind (only queries are shared or
        retried)."""
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = variables
        return decode(self.name, await self.transport.send(SubgraphRequest(body, kind)))

    async def aclose(self) -> None:
        await self.transport.aclose()
