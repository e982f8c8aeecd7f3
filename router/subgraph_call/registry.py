"""The router's subgraph clients, built once from `RouterSettings`.

One client per (subgraph name, URL), its stack composed once from plugins'
`subgraph_transport` wrappers, outermost as a call meets them:

  HeaderPropagationPlugin  the headers the rules send (headers.py)          built-in
  HooksLayer               `subgraph_request` / `subgraph_response` hooks   if a plugin has any
  the chain's wrappers     `Plugin.subgraph_transport`, the first outermost  router.yaml plugins
  TrafficPolicyPlugin      dedup, retry, breaker, timeout, cap (policy.py)  built-in
  innermost transport

The two built-ins are this stage's own plugins, made here from the settings (a
`Router` or `SubgraphClients` built without the server's chain has them too).
A reload that keeps a subgraph keeps its client and connections, and its
traffic state (breaker, budget, calls in flight) survives any reload.

The innermost transport is the pooled HTTP/1.1 client unless the caller hands
in another: an `httpx.AsyncClient` (`HttpxTransport`; tests pass one with an
ASGI transport) or a factory of any `Transport`. Every layer above it is the
same either way.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from router.plugins import PluginChain
from router.plugins.transport import Transport
from router.settings import RouterSettings
from router.subgraph_call.client import SubgraphClient
from router.subgraph_call.headers import HeaderPropagationPlugin
from router.subgraph_call.hooks import HooksLayer
from router.subgraph_call.policy import SubgraphPolicy, TrafficPolicyPlugin
from router.subgraph_call.transport import Http1Transport, HttpxTransport

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
        #: `subgraph_request` / `subgraph_response` hooks and `subgraph_transport` wrappers
        self.plugins = plugins if plugins is not None else PluginChain()
        #: replaces the pooled transports (tests pass one with an ASGI transport)
        self.http_client = http_client
        self.transport = transport
        #: the stage's built-in plugins
        self.headers = HeaderPropagationPlugin(settings.traffic.headers)
        self.traffic = TrafficPolicyPlugin(settings)
        self._clients: dict[tuple[str, str], SubgraphClient] = {}

    def policy(self, subgraph: str) -> SubgraphPolicy:
        """The traffic policy of a subgraph (one per name: breakers survive reloads)."""
        return self.traffic.policy(subgraph)

    def _innermost(self, name: str, url: str) -> Transport:
        if self.transport is not None:
            return self.transport(name, url)
        max_bytes = self.traffic.max_response_bytes(name)
        if self.http_client is not None:
            return HttpxTransport(name, url, self.http_client, max_bytes=max_bytes)
        return Http1Transport(
            name,
            url,
            max_connections=self.settings.max_connections_per_subgraph,
            max_bytes=max_bytes,
        )

    def compose(self, name: str, url: str, transport: Transport) -> Transport:
        """The subgraph's stack over `transport` (the order in the module's docstring)."""
        stack = self.traffic.subgraph_transport(name, transport)
        stack = self.plugins.wrap_subgraph(name, stack)
        p = self.plugins
        if p.subgraph_request or p.subgraph_response:
            stack = HooksLayer(stack, name, url, p.subgraph_request, p.subgraph_response)
        return self.headers.subgraph_transport(name, stack)

    def client(self, name: str, url: str) -> SubgraphClient:
        key = (name, url)
        c = self._clients.get(key)
        if c is None:
            stack = self.compose(name, url, self._innermost(name, url))
            c = self._clients[key] = SubgraphClient(name, url, stack)
        return c

    async def aclose(self) -> None:
        for c in self._clients.values():
            await c.aclose()
        self._clients.clear()
