"""A cap on the calls in flight to one subgraph: more wait their turn."""

from __future__ import annotations

import asyncio

from router.plugins.transport import Layer, RawResponse, SubgraphRequest, Transport

__all__ = ["ConcurrencyLayer"]


class ConcurrencyLayer(Layer):
    __slots__ = ("slots",)

    def __init__(self, inner: Transport, slots: asyncio.Semaphore) -> None:
        super().__init__(inner)
        #: shared by every stack of the subgraph (one per URL it was served at)
        self.slots = slots

    async def send(self, request: SubgraphRequest) -> RawResponse:
        async with self.slots:
            return await self.inner.send(request)
