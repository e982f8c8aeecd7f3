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
import signal
import socket
import sys
from pathlib import Path

from models.db import data_dir
from subgraphs.training.settings import TrainingSettings
from subgraphs.training.store import Job, JobStore, now

log = logging.getLogger("chorus.training")

WORKER_MODULE = "subgraphs.training.worker"


def service_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


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


def exit_reason(returncode: int, pid: int, log_file: Path) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        what = f"the worker process (pid {pid}) was killed by {name}"
    else:
        what = f"the worker process (pid {pid}) exited with code {returncode}"
    last = _last_line(log_file)
    return f"{what}; last output: {last}" if last else what


def _last_line(path: Path) -> str:
    with contextlib.suppress(OSError):
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
        if lines:
            return lines[-1][-500:]
    return ""


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
        assert job.claim is not None
        folder = data_dir() / "training" / job.id
        folder.mkdir(parents=True, exist_ok=True)
        log_file = folder / "worker.log"
        cancelled = self._cancelled[job.id] = asyncio.Event()
        try:
            with log_file.open("ab") as output:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    WORKER_MODULE,
                    job.id,
                    job.claim,
                    stdout=output,
                    stderr=asyncio.subprocess.STDOUT,
                    env=os.environ.copy(),
                )
            self.processes[job.id] = process
            log.info("training job %s (%s) runs in worker pid %s", job.id, job.model, process.pid)
            await self._watch(job, process, cancelled)
            if process.returncode == 0:
                reason = "the worker process exited without finishing the job"
            else:
                reason = exit_reason(process.returncode or 0, process.pid, log_file)
            if self._stopping:
                reason = "the training service stopped while the job ran; start it again"
            # a no-op when the worker finished the row itself, or the job was cancelled
            if await self.store.fail(job.id, job.claim, reason):
                log.warning("training job %s failed: %s", job.id, reason)
        except Exception as exc:
            log.exception("training job %s: cannot run its worker", job.id)
            await self.store.fail(job.id, job.claim, f"cannot run the worker: {exc}")
        finally:
            self.active.pop(job.id, None)
            self.processes.pop(job.id, None)
            self._cancelled.pop(job.id, None)
            self.wake.set()

    async def _watch(
        self, job: Job, process: asyncio.subprocess.Process, cancelled: asyncio.Event
    ) -> None:
        assert job.claim is not None
        exited = asyncio.create_task(process.wait())
        try:
            while not exited.done():
                stop = asyncio.create_task(cancelled.wait())
                await asyncio.wait(
                    {exited, stop},
                    timeout=self.settings.heartbeat_s,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                stop.cancel()
                if exited.done():
                    break
                if cancelled.is_set() or not await self.store.heartbeat(job.id, job.claim):
                    await self._terminate(process, exited)
                    break
        finally:
            if not exited.done():
                await self._terminate(process, exited)

    async def _terminate(
        self, process: asyncio.subprocess.Process, exited: asyncio.Task[int]
    ) -> None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(asyncio.shield(exited), self.settings.stop_grace_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await exited
