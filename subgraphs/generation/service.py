"""Replies per turn: generated once, stored, and streamed to whoever asks.

A turn's reply is looked up in three places, in order: the replies being
generated in this process (join the live stream), the `replies` table (it was
generated before, maybe by another replica), and finally the responder
(generate it now, store it, and tell every follower). A live reply leaves the
process's table only after it is stored, so no lookup falls between the two. Generation runs in its
own task, so a subscriber that disconnects does not leave a turn half done.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import AsyncIterator

from models.generation.reply import Reply, ReplyChunk, word_chunks
from models.generation.responder import ReplyRequest, Responder
from subgraphs.generation.live import LiveReply
from subgraphs.generation.store import ReplyStore

POLL_S = 0.2


class ReplyUnavailable(LookupError):
    """The turn has no stored reply and no action was given to generate one."""


def turn_seed(turn_id: str) -> int:
    """A stable seed per turn: the same turn always picks the same variant."""
    return zlib.crc32(turn_id.encode())


class ReplyService:
    def __init__(
        self, responder: Responder, store: ReplyStore, *, wait_for_reply_s: float = 10.0
    ) -> None:
        self.responder = responder
        self.store = store
        self.wait_for_reply_s = wait_for_reply_s
        self._live: dict[str, LiveReply] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def reply(self, turn_id: str, request: ReplyRequest | None) -> Reply:
        """The turn's reply: the one being generated, the stored one, or a new one."""
        live = self._live.get(turn_id)
        if live is None:
            stored = await self.store.get(turn_id)
            if stored is not None:
                return stored.reply
            live = self._live.get(turn_id)  # it may have started while we read
        if live is None:
            if request is None:
                raise ReplyUnavailable(f"turn {turn_id} has no reply; its action is needed")
            live = self._start(turn_id, request)
        return await live.result()

    async def stream(self, turn_id: str, request: ReplyRequest | None) -> AsyncIterator[ReplyChunk]:
        """Chunks of the turn's reply; without an action, wait a while for another producer."""
        deadline = time.monotonic() + self.wait_for_reply_s
        while True:
            live = self._live.get(turn_id)
            if live is None:
                stored = await self.store.get(turn_id)
                if stored is not None:
                    async for chunk in word_chunks(stored.reply):
                        yield chunk
                    return
                live = self._live.get(turn_id)
            if live is None and request is not None:
                live = self._start(turn_id, request)
            if live is not None:
                async for chunk in live.follow():
                    yield chunk
                return
            if time.monotonic() >= deadline:
                raise ReplyUnavailable(
                    f"turn {turn_id} has no reply yet; pass its action to generate one"
                )
            await asyncio.sleep(POLL_S)

    async def close(self) -> None:
        """Let replies being generated finish and be stored."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start(self, turn_id: str, request: ReplyRequest) -> LiveReply:
        live = LiveReply()
        self._live[turn_id] = live
        task = asyncio.create_task(self._produce(turn_id, request, live), name=f"reply-{turn_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return live

    async def _produce(self, turn_id: str, request: ReplyRequest, live: LiveReply) -> None:
        try:
            generated: Reply | None = None
            async for chunk in self.responder.stream(request, watched=live.watched):
                if chunk.done:
                    generated = chunk.reply
                else:
                    live.push(chunk)
            assert generated is not None
            stored = await self.store.put(turn_id, request.action, generated)
            final = stored.reply
            if final != generated:  # another replica stored its reply first: that one counts
                live.push(ReplyChunk(final.text, final.text, reset=True))
            live.push(ReplyChunk("", final.text, done=True, reply=final))
            live.finish()
        except BaseException as exc:
            live.finish(exc)
            if not isinstance(exc, Exception):
                raise
        finally:
            self._live.pop(turn_id, None)
