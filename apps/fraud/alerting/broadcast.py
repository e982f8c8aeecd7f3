"""New alerts to the subscribers of this process (`Subscription.alertRaised`).

In memory: a subscriber sees the alerts this replica raised from the moment it
subscribed. A slow subscriber loses its oldest alerts rather than holding memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

T = TypeVar("T")
QUEUE = 1000


class Broadcast(Generic[T]):
    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[T]] = set()

    @property
    def subscribers(self) -> int:
        return len(self._queues)

    def publish(self, item: T) -> None:
        for queue in self._queues:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(item)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[T]]:
        queue: asyncio.Queue[T] = asyncio.Queue(QUEUE)
        self._queues.add(queue)
        try:
            yield queue
        finally:
            self._queues.discard(queue)
