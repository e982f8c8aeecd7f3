"""`python -m bench.router`: the side-by-side gateway benchmark (see bench/README-router.md)."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from bench.router.gateways import GATEWAYS
from bench.router.queries import QUERIES
from bench.router.report import render
from bench.router.run import Options, run


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    gw_keys = [g.key for g in GATEWAYS]
    q_keys = [q.key for q in QUERIES]
    p = argparse.ArgumentParser(prog="python -m bench.router", description=__doc__)
    p.add_argument("--gateways", default=",".join(gw_keys), help=f"subset of {gw_keys}")
    p.add_argument("--queries", default=",".join(q_keys), help=f"subset of {q_keys}")
    p.add_argument("--seconds", type=float, default=5, help="measured seconds per cell and round")
    p.add_argument("--rounds", type=int, default=3, help="rounds over all cells (interleaved)")
    p.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each cell")
    p.add_argument("--connections", type=int, default=16, help="wrk connections")
    p.add_argument(
        "--latency-seconds",
        type=float,
        default=5,
        help="seconds of the concurrency-1 pass-through cells (0: skip them)",
    )
    p.add_argument("--base-port", type=int, default=5700, help="subgraphs; gateways +1..+3")
    p.add_argument("--load-cpu", default="0", help="CPU for wrk (taskset list)")
    p.add_argument("--server-cpu", default="1", help="CPU for the gateways and subgraphs")
    p.add_argument("--out", type=Path, help="results JSON (default: the cache folder)")
    p.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    p.add_argument(
        "--baseline-repo",
        type=Path,
        help="also serve the router from this checkout (e.g. a `git worktree` of an earlier "
        "commit), interleaved with this one: an A/B in one run",
    )
    a = p.parse_args(argv)
    for name, chosen, allowed in (
        ("gateway", a.gateways, gw_keys),
        ("query", a.queries, q_keys),
    ):
        bad = set(chosen.split(",")) - set(allowed)
        if bad:
            p.error(f"unknown {name}(s): {sorted(bad)}")
    opts = Options(
        gateways=a.gateways.split(","),
        queries=a.queries.split(","),
        seconds=a.seconds,
        rounds=max(1, a.rounds),
        warmup=a.warmup,
        connections=a.connections,
        latency_seconds=a.latency_seconds,
        base_port=a.base_port,
        load_cpu=a.load_cpu,
        server_cpu=a.server_cpu,
        out=a.out,
        keep_logs=a.keep_logs,
        baseline_repo=a.baseline_repo.resolve() if a.baseline_repo else None,
        command=shlex.join(["python", "-m", "bench.router", *argv]),
    )
    try:
        report = run(opts)
    except KeyboardInterrupt:
        sys.exit("interrupted: every process the bench started has been stopped")
    print(render(report))


if __name__ == "__main__":
    main()
