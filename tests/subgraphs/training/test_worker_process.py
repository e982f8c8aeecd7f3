"""Stopping a worker process: SIGTERM, then SIGKILL, and never waiting for good."""

from __future__ import annotations

import asyncio
import signal
import sys

from subgraphs.training.worker_process import stop_process

IGNORES_SIGTERM = (
    "import signal, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


async def test_a_worker_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", IGNORES_SIGTERM, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    assert await process.stdout.readline() == b"ready\n"  # its handler is in place
    exited = asyncio.create_task(process.wait())
    assert await stop_process(process, exited, grace_s=0.2)
    assert process.returncode == -signal.SIGKILL


class Unkillable:
    """A process in uninterruptible sleep: signals are taken, its exit never comes."""

    pid = 4242
    returncode = None

    def __init__(self) -> None:
        self.signals: list[str] = []

    def terminate(self) -> None:
        self.signals.append("TERM")

    def kill(self) -> None:
        self.signals.append("KILL")


async def test_a_worker_that_outlives_sigkill_is_left_after_a_bounded_wait() -> None:
    process = Unkillable()
    never: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    exited = asyncio.ensure_future(never)
    stopped = await asyncio.wait_for(
        stop_process(process, exited, grace_s=0.05, kill_wait_s=0.05),  # type: ignore[arg-type]
        timeout=5,
    )
    assert stopped is False and process.signals == ["TERM", "KILL"]
    exited.cancel()
