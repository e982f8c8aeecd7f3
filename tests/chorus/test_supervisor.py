"""The process supervisor stops whole process trees: no orphans after a stop."""

from __future__ import annotations

import os
import sys

from rich.console import Console

from chorus.supervisor import Supervisor

# A child that starts a grandchild, prints its pid, then ignores SIGTERM-free sleeping.
TREE = r"""
import subprocess, sys, time
grandchild = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
print("grandchild", grandchild.pid, flush=True)
time.sleep(300)
"""

STUBBORN = r"""
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("stubborn", flush=True)
time.sleep(300)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


async def test_stop_ends_children_and_grandchildren(tmp_path: object) -> None:
    import asyncio

    console = Console(file=open(os.devnull, "w"))
    lines: list[str] = []
    supervisor = Supervisor(console)
    supervisor.log = lambda child, message: lines.append(message)  # type: ignore[method-assign]
    tree = await supervisor.start("tree", [sys.executable, "-c", TREE])
    stubborn = await supervisor.start("stubborn", [sys.executable, "-c", STUBBORN])
    for _ in range(100):
        if any(line.startswith("grandchild") for line in lines) and "stubborn" in lines:
            break
        await asyncio.sleep(0.05)
    grandchild = int(next(line for line in lines if line.startswith("grandchild")).split()[1])
    pids = [tree.process.pid, stubborn.process.pid, grandchild]  # type: ignore[union-attr]
    assert all(_alive(p) for p in pids)
    await supervisor.stop(grace=1.0)
    await asyncio.sleep(0.1)
    assert [p for p in pids if _alive(p)] == []
