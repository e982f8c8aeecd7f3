"""Readiness: a subgraph is ready once every start-up hook ran and every gate (a model) is open."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

Hook = Callable[[], Awaitable[None]]


class Gate(Protocol):
    """Something that must be ready for the subgraph to be (a served model)."""

    @property
    def ready(self) -> bool: ...

    @property
    def error(self) -> str | None: ...


log = logging.getLogger("chorus.kit")


class Readiness:
    """Runs start-up hooks in the background so /health answers while models load."""

    def __init__(self, name: str, hooks: list[Hook], gates: Sequence[Gate] = ()) -> None:
        self.name = name
        self.hooks = hooks
        self.gates = tuple(gates)
        self.started = False  # every hook ran
        self._error: str | None = None
        self.started_at = time.perf_counter()
        self.ready_after_s: float | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return self.started and all(gate.ready for gate in self.gates)

    @property
    def permanent(self) -> bool:
        """The subgraph will not become ready before a restart: a start-up hook failed.

        Hooks are not retried, so `/ready` says so and a supervisor (`chorus dev`) can
        stop waiting and show the reason. A gate's error (a model with no version yet)
        is not permanent: the model follows the registry and opens when one is promoted.
        """
        return self._error is not None

    @property
    def error(self) -> str | None:
        """Why the subgraph is not ready, when it will not become ready by itself waiting."""
        if self._error is not None:
            return self._error
        return next((gate.error for gate in self.gates if gate.error), None)

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
            self._error = f"{type(exc).__name__}: {exc}"
            log.exception("%s failed to start: %s", self.name, self._error)
            return
        self.started = True
        self.ready_after_s = time.perf_counter() - self.started_at
        if self.ready:
            log.info("%s ready in %.2f s", self.name, self.ready_after_s)
        else:
            log.warning("%s started but is not ready: %s", self.name, self.error)

    async def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
