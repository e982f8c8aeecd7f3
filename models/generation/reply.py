"""The values a responder produces: a reply, the model that made it, and stream chunks."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

TEMPLATE = "template"
RETRIEVAL = "retrieval"
GENERATIVE = "generative"
NONE = "none"  # the action has no response (e.g. action_listen)


@dataclass(frozen=True)
class ModelRef:
    name: str
    version: str


@dataclass(frozen=True)
class Reply:
    text: str
    source: str
    model: ModelRef | None = None


@dataclass(frozen=True)
class ReplyChunk:
    """One step of a streamed reply.

    `text` is everything shown so far and `delta` what this chunk added. A
    chunk with `reset` replaces all earlier text (the guard rejected what was
    streamed and the template takes over). The last chunk has `done` and the
    final `reply`.
    """

    delta: str
    text: str
    done: bool = False
    reset: bool = False
    reply: Reply | None = None


_WORDS = re.compile(r"\s*\S+")


async def word_chunks(reply: Reply) -> AsyncIterator[ReplyChunk]:
    """Stream a finished reply word by word, ending with the done chunk."""
    shown = ""
    for word in _WORDS.findall(reply.text):
        shown += word
        yield ReplyChunk(word, shown)
    yield ReplyChunk("", reply.text, done=True, reply=reply)
