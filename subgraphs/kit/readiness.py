"""Readiness: a subgraph is ready once every start-up hook (model load, warm-up, DB check) ran."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

Hook = Callable[[], Awaitable[None]]

log = logging.getLogger("chorus.kit")


class Readiness:
    """Runs start-up hooks in the background so /health answers while models load."""

    def __init__(self, name: str, hooks: list[Hook]) -> None:
        self.name = name
        self.hooks = hooks
        self.ready = False
        self.error: str | None = None
        # Start-up hooks are not retried: once one failed, the subgraph will not become
        # ready until it is restarted, so /ready says the error is permanent and a
        # supervisor (`chorus dev`) can stop waiting and show the reason.
        self.permanent = False
        self.started_at = time.perf_counter()
        self.ready_after_s: float | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"{self.name}-startup")

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self) -> None:
        try:
            for hook in self.hooks:
                await hook()
        except Exception as exc:  # logged and surfaced on /ready, the process stays up
            self.error = f"{type(exc).__name__}: {exc}"
            self.permanent = True
            log.exception("%s failed to start: %s", self.name, self.error)
            return
        self.ready = True
        self.ready_after_s = time.perf_counter() - self.started_at
        log.info("%s ready in %.2f s", self.name, self.ready_after_s)

    async def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
