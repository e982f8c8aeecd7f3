"""In-process wake-ups for requests waiting on an earlier turn.

A resolution of turn n that must wait for turn n-1 sleeps on its
conversation's signal; whoever applies turns in this process wakes it at
once. Replicas in other processes are not signalled: waiters also wake every
poll interval and look at the database, so this only cuts latency.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress


class TurnSignals:
    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._waiters: dict[str, int] = {}

    async def wait(self, key: str, timeout: float) -> None:
        """Return when `notify(key)` is called or after `timeout` seconds."""
        event = self._events.setdefault(key, asyncio.Event())
        self._waiters[key] = self._waiters.get(key, 0) + 1
        try:
            with suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        finally:
            self._waiters[key] -= 1
            if not self._waiters[key]:
                del self._waiters[key]
                if self._events.get(key) is event:
                    del self._events[key]

    def notify(self, key: str) -> None:
        event = self._events.pop(key, None)
        if event is not None:
            event.set()
