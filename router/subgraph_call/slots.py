"""`Slots`: at most N holders at once, the others served first come, first served.

The connection pool takes a slot for every subgraph request. `asyncio.Semaphore` does
the same job, but its `acquire` and `release` each run several Python frames even when
a slot is free (`locked()` scans the waiters); here a free slot is one comparison and
one increment, and waiting is a future per waiter. A slot freed while others wait is
handed to the first of them directly, so a newcomer cannot take it in between.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable

__all__ = ["Slots"]


class Slots:
    __slots__ = ("_waiters", "in_use", "size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one slot")
        self.size = size
        self.in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    def take(self) -> Awaitable[None] | None:
        """Hold a slot: None when one was free, else an awaitable that ends holding one.
        `give_back` it afterwards.

            if (wait := slots.take()) is not None:
                await wait
        """
        if self.in_use < self.size and not self._waiters:
            self.in_use += 1
            return None
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        return self._wait(turn)

    async def _wait(self, turn: asyncio.Future[None]) -> None:
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():  # handed a slot, then cancelled
                self.give_back()
            raise

    def give_back(self) -> None:
        """Free a slot: the first waiter still waiting gets it, or it is free again."""
        waiters = self._waiters
        while waiters:
            turn = waiters.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot passes to it, `in_use` unchanged
                return
        self.in_use -= 1
