"""The embedded engine: claims queued jobs and runs each in a local worker process.

The dispatcher lives in the training subgraph's process, but only as a supervisor: the
training itself runs in `python -m subgraphs.training.worker`, never in the serving
event loop. For every running job it beats the row's heartbeat; a job cancelled through
the API (by this replica or another) loses its heartbeat write and its worker is
stopped. A worker that dies (killed, out of memory, a crash in native code) leaves its
job running; the dispatcher then fails it with the exit code or signal as the reason.

Restarts: a job that was running when its service died is failed, not requeued
(training is costly and a candidate half-registered by a dead worker must not appear
twice); the user starts it again. The sweep finds such jobs by their owner
(``host:pid`` of a service on this host that is no longer alive) at once, and by a
heartbeat older than `stale_s` for services elsewhere. Queued jobs wait in their rows
and are claimed by whichever service runs next, exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket

from subgraphs.training.settings import TrainingSettings
from subgraphs.training.store import Job, JobStore, now
from subgraphs.training.worker_process import service_id, supervise

log = logging.getLogger("chorus.training")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dead_local_owners(owners: list[str], me: str) -> list[str]:
    """Owners on this host whose process is gone (a service that crashed or was killed)."""
    host = socket.gethostname()
    dead = []
    for owner in owners:
        owner_host, _, pid = owner.rpartition(":")
        if owner_host == host and owner != me and pid.isdigit() and not _alive(int(pid)):
            dead.append(owner)
    return dead


class Dispatcher:
    """Runs up to `settings.workers` jobs at once, each in its own worker process."""

    def __init__(self, store: JobStore, settings: TrainingSettings) -> None:
        self.store = store
        self.settings = settings
        self.owner = service_id()
        self.wake = asyncio.Event()
        self.active: dict[str, asyncio.Task[None]] = {}
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self._cancelled: dict[str, asyncio.Event] = {}
        self._loop: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        await self.sweep()  # also proves the table is there: /ready says so when not
        self._loop = asyncio.create_task(self._run(), name="training-dispatcher")

    async def stop(self) -> None:
        self._stopping = True
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        for job_id in list(self.active):
            self.cancel(job_id)
        if self.active:
            await asyncio.gather(*self.active.values(), return_exceptions=True)

    def poke(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self.wake.set()

    def cancel(self, job_id: str) -> None:
        """Stop this replica's worker of `job_id` now (the row says cancelled already)."""
        event = self._cancelled.get(job_id)
        if event is not None:
            event.set()

    async def sweep(self) -> list[str]:
        stale_before = now() - dt.timedelta(seconds=self.settings.stale_s)
        dead = dead_local_owners(await self.store.running_owners(), self.owner)
        failed = await self.store.fail_lost(stale_before, dead)
        for job_id in failed:
            log.warning("training job %s was running when its service stopped: failed", job_id)
        return failed

    async def _run(self) -> None:
        last_sweep = asyncio.get_running_loop().time()
        while True:
            try:
                if asyncio.get_running_loop().time() - last_sweep > self.settings.stale_s / 3:
                    await self.sweep()
                    last_sweep = asyncio.get_running_loop().time()
                while len(self.active) < self.settings.workers:
                    job = await self.store.claim_next(self.owner)
                    if job is None:
                        break
                    self.active[job.id] = asyncio.create_task(self._supervise(job))
            except Exception:  # a database hiccup must not end the dispatcher
                log.exception("training dispatcher: cannot claim jobs")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.settings.poll_s)
            self.wake.clear()

    async def _supervise(self, job: Job) -> None:
        cancelled = self._cancelled[job.id] = asyncio.Event()
        try:
            await supervise(
                self.store,
                job,
                self.settings,
                cancelled,
                on_start=lambda process: self.processes.__setitem__(job.id, process),
                stopping=lambda: self._stopping,
            )
        finally:
            self.active.pop(job.id, None)
            self.processes.pop(job.id, None)
            self._cancelled.pop(job.id, None)
            self.wake.set()
