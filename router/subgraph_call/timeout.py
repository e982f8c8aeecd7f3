"""The per-attempt timeout of a subgraph call (waiting for the concurrency cap included)."""

from __future__ import annotations

from router.deadline import within
from router.errors import SubgraphTimeout
from router.plugins.transport import Layer, RawResponse, SubgraphRequest, Transport

__all__ = ["TimeoutLayer"]


class TimeoutLayer(Layer):
    __slots__ = ("seconds", "subgraph")

    def __init__(self, inner: Transport, seconds: float, subgraph: str) -> None:
        super().__init__(inner)
        self.seconds = seconds
        self.subgraph = subgraph

    async def send(self, request: SubgraphRequest) -> RawResponse:
        try:
            with within(self.seconds):
                return await self.inner.send(request)
        except TimeoutError:
            raise SubgraphTimeout(self.subgraph, f"no answer within {self.seconds:g}s") from None
