"""The subgraph request bench answers the router's NLU request and times it warm and cold."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_bench_times_both_requests_warm_and_cold() -> None:
    # a process of its own: the bench configures the root logger as `chorus subgraph` does
    run = subprocess.run(
        [sys.executable, "-m", "bench.subgraph_request", "--rounds", "2", "--requests", "50",
         "--evict-mb", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    medians = dict(
        (name, (float(warm), float(cold)))
        for name, warm, cold in re.findall(
            r"median (\w+) +warm +([\d.]+) us, cold +([\d.]+) us", run.stdout
        )
    )
    assert set(medians) == {"entities", "trivial"}, run.stdout
    # the entities answer (intent, entities, fallback) is more work than `{ __typename }`
    assert medians["entities"][0] > medians["trivial"][0] > 0, run.stdout
