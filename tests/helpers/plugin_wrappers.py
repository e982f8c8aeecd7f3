"""A test plugin (loaded as `tests.helpers.plugin_wrappers`): wraps the request stage and
every subgraph's transport, and reports in the answer's `extensions.wrapped` which
subgraphs the request called through its layers and what it has wrapped so far."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from router.plugins import (
    GraphQLResponse,
    GraphQLService,
    Layer,
    Plugin,
    RawResponse,
    SubgraphRequest,
    Transport,
)


class Counting(Layer):
    __slots__ = ("calls", "subgraph")

    def __init__(self, inner: Transport, subgraph: str, calls: list[str]) -> None:
        super().__init__(inner)
        self.subgraph = subgraph
        self.calls = calls

    def send(self, request: SubgraphRequest) -> Awaitable[RawResponse]:
        self.calls.append(self.subgraph)
        return self.inner.send(request)


class Wrappers(Plugin):
    def __init__(self, config: Any = None) -> None:
        super().__init__(config)
        #: what this plugin wrapped, in order ("graphql" for the request stage)
        self.wrapped: list[str] = []
        self.calls: list[str] = []

    def subgraph_transport(self, subgraph: str, transport: Transport) -> Transport:
        self.wrapped.append(subgraph)
        return Counting(transport, subgraph, self.calls)

    def graphql_service(self, service: GraphQLService) -> GraphQLService:
        self.wrapped.append("graphql")

        async def execute(*args: Any, **kwargs: Any) -> GraphQLResponse:
            start = len(self.calls)
            response = await service(*args, **kwargs)
            response.body.setdefault("extensions", {})["wrapped"] = {
                "calls": sorted(self.calls[start:]),
                "so_far": sorted(self.wrapped),
            }
            return response

        return execute
