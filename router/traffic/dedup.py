"""In-flight de-duplication: identical concurrent calls share one upstream call.

The shared call runs in its own task; each caller awaits it through a shield
and gets the same immutable result (raw bytes, decoded by each caller, so no
two requests ever share mutable data). When the last caller goes away (its
client disconnected) the shared call is cancelled.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["InFlight"]

T = TypeVar("T")


class _Shared(Generic[T]):
    __slots__ = ("task", "waiters")

    def __init__(self, task: asyncio.Task[T]) -> None:
        self.task = task
        self.waiters = 0


class InFlight(Generic[T]):
    def __init__(self) -> None:
        self._calls: dict[Hashable, _Shared[T]] = {}
        #: calls that joined one already in flight (tests and metrics read it)
        self.joined = 0

    def __len__(self) -> int:
        return len(self._calls)

    async def run(self, key: Hashable, call: Callable[[], Coroutine[Any, Any, T]]) -> T:
        shared = self._calls.get(key)
        if shared is None:
            task = asyncio.create_task(call())
            shared = _Shared(task)
            self._calls[key] = shared
            task.add_done_callback(functools.partial(self._done, key, shared))
        else:
            self.joined += 1
        shared.waiters += 1
        try:
            return await asyncio.shield(shared.task)
        finally:
            shared.waiters -= 1
            if shared.waiters == 0 and not shared.task.done():
                shared.task.cancel()

    def _done(self, key: Hashable, shared: _Shared[T], task: asyncio.Task[T]) -> None:
        if self._calls.get(key) is shared:
            del self._calls[key]
        if not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" warning
