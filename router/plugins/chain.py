"""`PluginChain`: per hook, the bound hooks of the plugins that override it, in order.

Built once per router; a stage checks its tuple (`if chain.subgraph_request:`)
and does nothing more when it is empty, so a stage no plugin uses costs one
attribute read per request. Wrappers are not per request: `wrap_subgraph`
applies `subgraph_transport` once per subgraph client and `wrap_graphql`
applies `graphql_service` once per router, the first plugin outermost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from router.plugins.contexts import (
    ExecutionRequestContext,
    ExecutionResponseContext,
    GraphQLRequestContext,
    GraphQLResponseContext,
    HttpRequestContext,
    HttpResponseContext,
    SubgraphRequestContext,
    SubgraphResponseContext,
)
from router.plugins.interface import Plugin
from router.plugins.service import GraphQLService
from router.plugins.transport import Transport

__all__ = ["PluginChain"]

C = TypeVar("C")
Hooks = tuple[Callable[[C], Awaitable[None]], ...]


def _hooks(plugins: Sequence[Plugin], name: str) -> tuple[Callable[[C], Awaitable[None]], ...]:
    return tuple(getattr(p, name) for p in plugins if p.uses(name))


class PluginChain:
    __slots__ = (
        "execution_request",
        "execution_response",
        "graphql_request",
        "graphql_response",
        "graphql_service",
        "http_operations",
        "http_request",
        "http_response",
        "plugins",
        "subgraph_request",
        "subgraph_response",
        "subgraph_transport",
    )

    def __init__(self, plugins: Sequence[Plugin] = ()) -> None:
        self.plugins = tuple(plugins)
        ps = self.plugins
        self.http_request: Hooks[HttpRequestContext] = _hooks(ps, "http_request")
        self.http_operations: Hooks[HttpRequestContext] = _hooks(ps, "http_operations")
        self.http_response: Hooks[HttpResponseContext] = _hooks(ps, "http_response")
        self.graphql_request: Hooks[GraphQLRequestContext] = _hooks(ps, "graphql_request")
        self.graphql_response: Hooks[GraphQLResponseContext] = _hooks(ps, "graphql_response")
        self.graphql_service: tuple[Callable[[GraphQLService], GraphQLService], ...] = tuple(
            p.graphql_service for p in ps if p.uses("graphql_service")
        )
        self.execution_request: Hooks[ExecutionRequestContext] = _hooks(ps, "execution_request")
        self.execution_response: Hooks[ExecutionResponseContext] = _hooks(ps, "execution_response")
        self.subgraph_request: Hooks[SubgraphRequestContext] = _hooks(ps, "subgraph_request")
        self.subgraph_response: Hooks[SubgraphResponseContext] = _hooks(ps, "subgraph_response")
        self.subgraph_transport: tuple[Callable[[str, Transport], Transport], ...] = tuple(
            p.subgraph_transport for p in ps if p.uses("subgraph_transport")
        )

    def __len__(self) -> int:
        return len(self.plugins)

    def wrap_graphql(self, service: GraphQLService) -> GraphQLService:
        """`service` wrapped by every plugin's `graphql_service`, the first outermost."""
        for wrap in reversed(self.graphql_service):
            service = wrap(service)
        return service

    def wrap_subgraph(self, subgraph: str, transport: Transport) -> Transport:
        """`transport` wrapped by every plugin's `subgraph_transport`, the first outermost."""
        for wrap in reversed(self.subgraph_transport):
            transport = wrap(subgraph, transport)
        return transport

    def supergraph_loaded(self, sdl: str) -> None:
        for p in self.plugins:
            p.supergraph_loaded(sdl)

    async def aclose(self) -> None:
        for p in self.plugins:
            await p.aclose()
