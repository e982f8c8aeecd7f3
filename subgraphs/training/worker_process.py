"""One claimed job in its own worker process, supervised: the code every engine runs.

The embedded dispatcher and the procrastinate task (subgraphs/training/procrastinate_engine.py)
both hand a claimed job to `supervise`, which starts ``python -m subgraphs.training.worker
JOB CLAIM``, beats the row's heartbeat while it runs, stops it when the job is cancelled
(the heartbeat write is refused, or `cancelled` is set) or has run longer than
`max_runtime_s` (a hung trainer would otherwise hold its job running and its worker slot
for good), and fails the job with the reason when the process ends without finishing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from models.db import data_dir
from subgraphs.training.settings import TrainingSettings
from subgraphs.training.store import Job, JobStore

log = logging.getLogger("chorus.training")

WORKER_MODULE = "subgraphs.training.worker"
KILL_WAIT_S = 10.0


def service_id() -> str:
    """``host:pid``: the owner a claim records, so a sweep on this host can tell it died."""
    return f"{socket.gethostname()}:{os.getpid()}"


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


async def supervise(
    store: JobStore,
    job: Job,
    settings: TrainingSettings,
    cancelled: asyncio.Event,
    on_start: Callable[[asyncio.subprocess.Process], None] | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> None:
    """Run the claimed `job` in a worker process until it ends; fail it if the worker dies."""
    assert job.claim is not None
    folder = data_dir() / "training" / job.id
    folder.mkdir(parents=True, exist_ok=True)
    log_file = folder / "worker.log"
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
        if on_start is not None:
            on_start(process)
        log.info("training job %s (%s) runs in worker pid %s", job.id, job.model, process.pid)
        overran = await _watch(store, job, process, cancelled, settings)
        if overran:
            reason = (
                f"the job ran longer than CHORUS_TRAINING_MAX_RUNTIME_S "
                f"({settings.max_runtime_s:g} s): its worker (pid {process.pid}) was stopped"
            )
        elif process.returncode is None:
            reason = f"the worker process (pid {process.pid}) did not exit after SIGKILL"
        elif process.returncode == 0:
            reason = "the worker process exited without finishing the job"
        else:
            reason = exit_reason(process.returncode, process.pid, log_file)
        if stopping():
            reason = "the training service stopped while the job ran; start it again"
        # a no-op when the worker finished the row itself, or the job was cancelled
        if await store.fail(job.id, job.claim, reason):
            log.warning("training job %s failed: %s", job.id, reason)
    except Exception as exc:
        log.exception("training job %s: cannot run its worker", job.id)
        await store.fail(job.id, job.claim, f"cannot run the worker: {exc}")


async def _watch(
    store: JobStore,
    job: Job,
    process: asyncio.subprocess.Process,
    cancelled: asyncio.Event,
    settings: TrainingSettings,
) -> bool:
    """Wait for the worker to end, stopping it on cancel; True when it overran its time."""
    assert job.claim is not None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.max_runtime_s if settings.max_runtime_s else None
    exited = asyncio.create_task(process.wait())
    overran = False
    try:
        while not exited.done():
            stop = asyncio.create_task(cancelled.wait())
            timeout = settings.heartbeat_s
            if deadline is not None:
                timeout = max(0.0, min(timeout, deadline - loop.time()))
            await asyncio.wait({exited, stop}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if exited.done():
                break
            overran = deadline is not None and loop.time() >= deadline
            if overran:
                log.warning("training job %s overran its time: stopping its worker", job.id)
            if overran or cancelled.is_set() or not await store.heartbeat(job.id, job.claim):
                break
    finally:
        # stopped, cancelled, overran, or this task cancelled because the service stops
        if not exited.done():
            await stop_process(process, exited, settings.stop_grace_s)
        if not exited.done():  # outlived SIGKILL: nobody waits for it any more
            exited.cancel()
    return overran


async def stop_process(
    process: asyncio.subprocess.Process,
    exited: asyncio.Task[int],
    grace_s: float,
    kill_wait_s: float = KILL_WAIT_S,
) -> bool:
    """SIGTERM, then SIGKILL after `grace_s`; True once the process has exited.

    After SIGKILL it waits `kill_wait_s` at most: a process in uninterruptible sleep (stuck
    on a dead network file system, say) outlives SIGKILL, and the service's shutdown and
    the job's failure must not wait for it.
    """
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        await asyncio.wait_for(asyncio.shield(exited), grace_s)
        return True
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    try:
        await asyncio.wait_for(asyncio.shield(exited), kill_wait_s)
        return True
    except TimeoutError:
        log.error("worker pid %s has not exited %.0f s after SIGKILL", process.pid, kill_wait_s)
        return False
