"""`TakeTurns`: several users that send their messages in strict rotation.

A machine's speed drifts by more than the gap the pipeline bench measures at concurrency 1
(a shared host's caches and memory bandwidth: rounds of the same stack differed by 10 ms in
p50 within minutes). When each architecture's single user takes its turn in rotation with
the others', one message each, a drift hits all of them alike, and no two messages are ever
in flight at once, so no architecture slows another down.
"""

from __future__ import annotations

import asyncio


class TakeTurns:
    """A baton passed round `seats` users; a user that leaves is skipped from then on."""

    def __init__(self, seats: int) -> None:
        if seats < 1:
            raise ValueError("at least one seat")
        self._ready = [asyncio.Event() for _ in range(seats)]
        self._seated = set(range(seats))
        self._holder: int | None = 0
        self._ready[0].set()

    async def wait(self, seat: int) -> None:
        """Until `seat` holds the baton."""
        await self._ready[seat].wait()

    def pass_on(self, seat: int) -> None:
        """`seat` has sent its message and had its answer: the next seated user's turn."""
        if self._holder != seat:
            raise RuntimeError(f"seat {seat} passes a baton it does not hold")
        self._ready[seat].clear()
        seats = len(self._ready)
        for step in range(1, seats + 1):
            nxt = (seat + step) % seats
            if nxt in self._seated:
                self._holder = nxt
                self._ready[nxt].set()
                return
        self._holder = None

    def leave(self, seat: int) -> None:
        """`seat` sends no more messages; it passes the baton on if it holds it."""
        self._seated.discard(seat)
        if self._holder == seat:
            self.pass_on(seat)
