"""How long this process has been running: the "start to ready" figure of a warm start.

The readiness hook only knows when the app was built; the interpreter start,
imports (torch, transformers, strawberry) and uvicorn's start-up come before
that and are a large part of a cold start, so the age is read from the kernel.
"""

from __future__ import annotations

import os
from pathlib import Path


def process_age_s(pid: int | str = "self") -> float | None:
    """Seconds since the process started (Linux ``/proc``); None where that is unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: starttime in ticks
    return max(0.0, uptime - started)
