"""Serve-time helpers of the router process: reload the supergraph when its file changes.

`chorus dev` (or any tool) rewrites the supergraph file; `--watch` runs a
`SupergraphFileWatcher` on it inside the server's lifespan (`WatchLifespan`)
and calls `Router.reload`, which swaps an immutable snapshot: requests in
flight finish on the supergraph they started with.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

__all__ = ["SupergraphFileWatcher", "WatchLifespan"]

log = logging.getLogger("chorus.reload")


class SupergraphFileWatcher:
    """Calls `reload(sdl)` when the supergraph file's content changes.

    Content (not mtime) decides, so coarse timestamps cannot hide a change. A
    supergraph that `reload` rejects is logged once and the old one stays.
    """

    def __init__(self, path: Path, reload: Callable[[str], None], initial: str | None = None):
        self.path = path
        self.reload = reload
        self.seen = _digest(initial if initial is not None else self._read() or "")

    def _read(self) -> str | None:
        try:
            return self.path.read_text()
        except OSError:
            return None

    def check(self) -> bool | None:
        """True: reloaded; False: rejected (old kept); None: nothing new."""
        text = self._read()
        if text is None or not text.strip():
            return None
        digest = _digest(text)
        if digest == self.seen:
            return None
        self.seen = digest
        try:
            self.reload(text)
        except Exception as exc:
            log.error(
                "supergraph %s rejected, keeping the previous one: %s: %s",
                self.path,
                type(exc).__name__,
                exc,
            )
            return False
        log.info("supergraph reloaded from %s", self.path)
        return True

    async def run(self, interval: float = 1.0) -> None:
        """Check every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            self.check()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


class WatchLifespan:
    """ASGI wrapper: runs `task_factory()` from lifespan start-up until shutdown."""

    def __init__(self, app: ASGIApp, task_factory: Callable[[], Awaitable[None]]) -> None:
        self.app = app
        self.task_factory = task_factory
        self.task: asyncio.Task[None] | None = None

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def wrapped_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup" and self.task is None:
                self.task = asyncio.ensure_future(self.task_factory())
            elif message["type"] == "lifespan.shutdown" and self.task is not None:
                self.task.cancel()
                try:
                    await self.task
                except (asyncio.CancelledError, Exception):
                    pass
                self.task = None
            return message

        await self.app(scope, wrapped_receive, send)
