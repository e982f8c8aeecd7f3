"""The router's subgraph clients, built once from `RouterSettings`.

One client per (subgraph name, URL), each with its stack composed once; one
`SubgraphPolicy` per subgraph name: a reload that keeps a subgraph keeps its
client and connections, and a breaker's state survives any reload.

The innermost transport is the pooled HTTP/1.1 client unless the caller hands
in another: an `httpx.AsyncClient` (`HttpxTransport`; tests pass one with an
ASGI transport) or a factory of any `Transport`. Every layer above it is the
same either way.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from router.plugins import PluginChain
from router.settings import RouterSettings
from router.subgraph_call.client import SubgraphClient
from router.subgraph_call.headers import HeaderPropagation
from router.subgraph_call.policy import SubgraphPolicy
from router.subgraph_call.transport import Http1Transport, HttpxTransport, Transport

__all__ = ["SubgraphClients", "TransportFactory"]

#: (subgraph name, URL) -> the innermost transport
TransportFactory = Callable[[str, str], Transport]


class SubgraphClients:
    def __init__(
        self,
        settings: RouterSettings,
        *,
        http_client: httpx.AsyncClient | None = None,
        transport: TransportFactory | None = None,
        plugins: PluginChain | None = None,
    ) -> None:
        self.settings = settings
        #: `subgraph_request` / `subgraph_response` hooks
        self.plugins = plugins if plugins is not None else PluginChain()
        #: replaces the pooled transports (tests pass one with an ASGI transport)
        self.http_client = http_client
        self.transport = transport
        self.headers = HeaderPropagation(settings.traffic.headers)
        self.policies: dict[str, SubgraphPolicy] = {}
        self._clients: dict[tuple[str, str], SubgraphClient] = {}

    def policy(self, subgraph: str) -> SubgraphPolicy:
        """The traffic policy of a subgraph (one per name: breakers survive reloads)."""
        p = self.policies.get(subgraph)
        if p is None:
            p = self.policies[subgraph] = SubgraphPolicy(
                subgraph,
                self.settings.traffic.for_subgraph(subgraph),
                self.headers,
                self.settings.subgraph_timeout_s,
            )
        return p

    def _innermost(self, name: str, url: str, max_bytes: int) -> Transport:
        if self.transport is not None:
            return self.transport(name, url)
        if self.http_client is not None:
            return HttpxTransport(name, url, self.http_client, max_bytes=max_bytes)
        return Http1Transport(
            name,
            url,
            max_connections=self.settings.max_connections_per_subgraph,
            max_bytes=max_bytes,
        )

    def client(self, name: str, url: str) -> SubgraphClient:
        key = (name, url)
        c = self._clients.get(key)
        if c is None:
            policy = self.policy(name)
            innermost = self._innermost(name, url, policy.traffic.max_response_bytes)
            stack = policy.compose(innermost, url, self.plugins)
            c = self._clients[key] = SubgraphClient(name, url, stack)
        return c

    async def aclose(self) -> None:
        for c in self._clients.values():
            await c.aclose()
        self._clients.clear()
