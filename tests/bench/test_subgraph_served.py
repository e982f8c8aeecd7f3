"""The served subgraph bench starts a checkout's server and times its answers."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_bench_serves_a_checkout_and_reports_its_latency() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.subgraph_served", "--variant", f"ours={REPO}",
         "--rounds", "1", "--requests", "20", "--evict-mb", "1", "--port", str(_free_port())],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    median = re.search(r"median ours +([\d.]+) us", run.stdout)
    assert median and float(median.group(1)) > 0, run.stdout + run.stderr
