"""A reply being generated right now, which any number of subscribers can follow.

Subscribers that join late first get every chunk so far, then the live ones,
so a client subscribing to a turn's reply mid-generation sees all of it. While
only whole-reply waiters follow (`result`), `watched` says so and the generator
sends no chunks; the first chunk after a subscriber joins carries the text so far.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from models.generation.reply import Reply, ReplyChunk


class LiveReply:
    def __init__(self) -> None:
        self.chunks: list[ReplyChunk] = []
        self.finished = False
        self.error: BaseException | None = None
        self.watchers = 0  # followers that want the chunks, not just the reply
        self._changed = asyncio.Event()

    def watched(self) -> bool:
        """Whether anyone follows the chunks now (read from the generator's thread too)."""
        return self.watchers > 0

    def push(self, chunk: ReplyChunk) -> None:
        self.chunks.append(chunk)
        self._notify()

    def finish(self, error: BaseException | None = None) -> None:
        self.finished = True
        self.error = error
        self._notify()

    async def follow(self, *, watching: bool = True) -> AsyncIterator[ReplyChunk]:
        """Every chunk so far, then the live ones; `watching=False`: only the reply is wanted."""
        index = 0
        if watching:
            self.watchers += 1
        try:
            while True:
                changed = self._changed
                while index < len(self.chunks):
                    yield self.chunks[index]
                    index += 1
                if self.finished:
                    if self.error is not None:
                        raise self.error
                    return
                await changed.wait()
        finally:
            if watching:
                self.watchers -= 1

    async def result(self) -> Reply:
        reply: Reply | None = None
        async for chunk in self.follow(watching=False):
            reply = chunk.reply or reply
        if reply is None:
            raise RuntimeError("the reply stream ended without a reply")
        return reply

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
