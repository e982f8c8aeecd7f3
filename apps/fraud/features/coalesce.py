"""Concurrent calls of one async batch function merged into one call, one at a time.

The features store computes one batch at a time (a card's transactions must see each
other). Rather than queueing behind a lock, the batches that arrive while one is
computed are merged and computed together: under many small concurrent requests
(single transactions), one database transaction then serves all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Coalescer(Generic[Item, Result]):
    """`await coalescer(items)`: `run` once on these items and those of concurrent callers.

    One `run` at a time; callers that arrive meanwhile form the next round. Every caller
    of a round gets the round's whole result (`run` answers for all of its items), or its
    exception.
    """

    def __init__(self, run: Callable[[list[Item]], Awaitable[Result]]) -> None:
        self._run = run
        self._waiting: list[tuple[Sequence[Item], asyncio.Future[Result]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def __call__(self, items: Sequence[Item]) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((items, future))
        if self._drainer is None:
            self._drainer = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                round_, self._waiting = self._waiting, []
                futures = [f for _, f in round_]
                try:
                    result = await self._run([item for items, _ in round_ for item in items])
                except asyncio.CancelledError:
                    for f in futures:
                        f.cancel()
                    raise
                except Exception as exc:  # each caller of the round raises it
                    for f in futures:
                        if not f.done():
                            f.set_exception(exc)
                else:
                    for f in futures:
                        if not f.done():
                            f.set_result(result)
        finally:
            self._drainer = None
