"""The router's subgraph clients, built once from `RouterSettings`.

One client per (subgraph name, URL) and one traffic policy per subgraph name:
a reload that keeps a subgraph keeps its client and connections, and a
breaker's state survives any reload.
"""

from __future__ import annotations

import httpx

from router.plugins import PluginChain
from router.settings import RouterSettings
from router.subgraph_call.client import SubgraphClient
from router.subgraph_call.headers import HeaderPropagation
from router.subgraph_call.policy import SubgraphPolicy

__all__ = ["SubgraphClients"]


class SubgraphClients:
    def __init__(
        self,
        settings: RouterSettings,
        *,
        http_client: httpx.AsyncClient | None = None,
        plugins: PluginChain | None = None,
    ) -> None:
        self.settings = settings
        #: `subgraph_request` / `subgraph_response` hooks
        self.plugins = plugins if plugins is not None else PluginChain()
        #: replaces the pooled transports (tests pass one with an ASGI transport)
        self.http_client = http_client
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

    def client(self, name: str, url: str) -> SubgraphClient:
        key = (name, url)
        c = self._clients.get(key)
        if c is None:
            c = self._clients[key] = SubgraphClient(
                name,
                url,
                client=self.http_client,
                max_connections=self.settings.max_connections_per_subgraph,
                policy=self.policy(name),
                plugins=self.plugins,
            )
        return c

    async def aclose(self) -> None:
        for c in self._clients.values():
            await c.aclose()
        self._clients.clear()
