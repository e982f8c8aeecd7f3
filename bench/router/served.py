"""Router instructions per request as served: uvicorn, the connection wrappers and the app.

    python -m bench.router.served --variant base=/tmp/base --variant ours=. \\
        [--query pass] [--seconds 40]

`bench.router.inprocess` drives the ASGI app directly, so it leaves out what every
request also pays before the app: the socket read, uvicorn's HTTP parsing, the router's
connection wrappers (head guard, coalescing writes). wrk's CPU figures include them, but
vary by a few percent between runs, which is the size of the differences the 5 % guard
rail is about. Here each variant's router (`python -m router`, as production starts
it) runs under callgrind; wrk warms it up, the counters are zeroed
(`callgrind_control -z`), wrk drives it for `--seconds`, and the counters are dumped:
instructions over the requests wrk completed. The count does not depend on the
machine's load, so one round per variant is enough. Up to `connections` requests
still in flight when wrk stops are counted but not completed (well under 1 % of the
requests, alike for every variant).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.router.inprocess import callgrind_instructions, parse_variant
from bench.router.load import run_wrk
from bench.router.procs import Proc, port_free
from bench.router.queries import QUERIES, supergraph_sdl

__all__ = ["main"]


def _control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], check=True, capture_output=True, timeout=120)


def _measure(
    name: str, path: Path, sdl: Path, work: Path, port: int, args: argparse.Namespace
) -> float:
    query = next(q for q in QUERIES if q.key == args.query)
    out = work / f"callgrind.{name}"
    router = Proc(
        name,
        [
            "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            sys.executable, "-m", "router", "--supergraph", str(sdl), "--port", str(port),
        ],
        cpus=args.router_cpu,
        log=work / f"{name}.log",
        cwd=path,
        env={"PYTHONPATH": str(path), "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        router.wait_ready(url, b'{"query":"{ __typename }"}', timeout=600)
        load = dict(marker=query.marker, connections=args.connections, cpu=args.wrk_cpu)
        run_wrk(url, query.text, seed=1_000_000, seconds=args.warmup_seconds, **load)
        pid = str(router.popen.pid)  # taskset execs valgrind, which runs Python itself
        _control("-z", pid)
        got = run_wrk(url, query.text, seed=2_000_000, seconds=args.seconds, **load)
        _control("-d", pid)
        if got.errors or not got.requests:
            raise SystemExit(f"{name}: {got.errors} errors of {got.requests}: {got.sample}")
        time.sleep(1)
        parts = sorted(work.glob(f"callgrind.{name}.*"), key=lambda p: p.stat().st_mtime)
        if not parts:
            raise SystemExit(f"{name}: no callgrind dump in {work}")
        return callgrind_instructions(parts[-1]) / got.requests
    finally:
        router.stop()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.router.served", description=__doc__)
    p.add_argument("--variant", action="append", default=[], help="NAME=DIR")
    p.add_argument("--query", default="pass", help="a bench.router.queries key")
    p.add_argument("--seconds", type=float, default=40.0, help="measured wrk run")
    p.add_argument("--warmup-seconds", type=float, default=15.0)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--port", type=int, default=5795, help="the bench subgraphs' port")
    p.add_argument("--router-port", type=int, default=5796)
    p.add_argument("--router-cpu", default="0")
    p.add_argument("--wrk-cpu", default="1")
    p.add_argument("--subgraphs-cpu", default="1")
    args = p.parse_args(argv)
    variants = [parse_variant(v)[:2] for v in args.variant] or [("ours", Path.cwd())]
    for port in (args.port, args.router_port):
        if not port_free(port):
            raise SystemExit(f"port {port} in use")
    work = Path(tempfile.mkdtemp(prefix="bench-served-"))
    sdl = work / "supergraph.graphql"
    sdl.write_text(supergraph_sdl(f"http://127.0.0.1:{args.port}"))
    repo = Path(__file__).resolve().parents[2]
    subgraphs = Proc(
        "subgraphs",
        [sys.executable, "-m", "bench.router.subgraphs", "--port", str(args.port)],
        cpus=args.subgraphs_cpu,
        log=work / "subgraphs.log",
        cwd=repo,
    )
    results: dict[str, float] = {}
    try:
        subgraphs.wait_ready(
            f"http://127.0.0.1:{args.port}/users", b'{"query":"{ user(id: \\"1\\") { id } }"}'
        )
        for name, path in variants:
            results[name] = _measure(name, path, sdl, work, args.router_port, args)
            print(f"{name}: {results[name]:.0f} instructions/request", flush=True)
    finally:
        subgraphs.stop()
    first = variants[0][0]
    print(f"\n{args.query} as served (uvicorn + router), load {os.getloadavg()[0]:.2f}")
    for name, _ in variants:
        diff = (results[name] - results[first]) / results[first]
        print(f"{name:>12}: {results[name]:9.0f} instructions/request  ({diff:+6.1%} vs {first})")


if __name__ == "__main__":
    main()
