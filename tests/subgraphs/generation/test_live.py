"""A live reply knows whether anyone follows its chunks, not just its final reply."""

from __future__ import annotations

import asyncio

from models.generation.reply import Reply, ReplyChunk
from subgraphs.generation.live import LiveReply

REPLY = Reply("Hi there", "template", None)


async def test_only_chunk_followers_make_a_reply_watched() -> None:
    live = LiveReply()
    waiting = asyncio.create_task(live.result())
    await asyncio.sleep(0)
    assert not live.watched()  # a whole-reply waiter wants no chunks

    following = live.follow()
    first = asyncio.create_task(anext(following))
    await asyncio.sleep(0)
    assert live.watched()

    live.push(ReplyChunk("Hi", "Hi"))
    assert (await first).delta == "Hi"
    live.push(ReplyChunk("", REPLY.text, done=True, reply=REPLY))
    live.finish()
    rest = [chunk async for chunk in following]
    assert rest[-1].reply == REPLY and await waiting == REPLY
    assert not live.watched()  # the follower is done


async def test_a_follower_that_leaves_early_stops_watching() -> None:
    live = LiveReply()
    following = live.follow()
    live.push(ReplyChunk("Hi", "Hi"))
    assert (await anext(following)).delta == "Hi" and live.watched()
    await following.aclose()
    assert not live.watched()
