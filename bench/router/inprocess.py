"""Router CPU per request measured in-process: A/B of checkouts without wrk or uvicorn.

    python -m bench.router.inprocess --variant ours=. --variant lib=/tmp/swap \\
        [--variant httpx=.:httpx] [--query join2] [--rounds 5] [--requests 3000]

The bench subgraphs run in their own process; each variant's router is built
in a fresh worker process from that checkout (`PYTHONPATH=DIR`) and driven
through its ASGI app directly (16 requests in flight, uvloop, every answer
checked), so the worker's CPU time over the measured requests is the router's
own work plus a few microseconds of driving. `DIR:httpx` serves the variant's
router with an `httpx.AsyncClient` as the innermost subgraph transport instead
of the pooled HTTP/1.1 client. Variants run interleaved, round by round, so a
change in the machine's background load hits them alike; the report gives each
variant's median CPU per request and its difference to the first variant.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["callgrind_instructions", "main", "parse_variant"]

REPO = Path(__file__).resolve().parents[2]


def _worker(args: argparse.Namespace) -> None:
    """Build the router from whatever `router` imports, drive it, print CPU per request."""
    import asyncio

    import httpx
    import orjson
    import uvloop

    from router.server import heap

    try:
        from router.server.app import create_router_app
    except ImportError:  # a checkout from before the stage layout (issue 18)
        from router.app import create_router_app  # type: ignore[no-redef]

    sdl = Path(args.sdl).read_text()
    marker = args.marker.encode()
    client = (
        httpx.AsyncClient(limits=httpx.Limits(max_connections=100), timeout=30)
        if args.transport == "httpx"
        else None
    )
    app = create_router_app(sdl, http_client=client)
    heap.tune_for_serving()
    bodies = [
        orjson.dumps({"query": args.text, "variables": {"id": str(i % 5000 + 1)}})
        for i in range(args.requests + args.warmup)
    ]

    async def one(body: bytes) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"host", b"router"),
                (b"content-type", b"application/json"),
                (b"accept", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 4000),
        }
        out: list[bytes] = []
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(msg: dict[str, Any]) -> None:
            nonlocal status
            if msg["type"] == "http.response.start":
                status = msg["status"]
            elif msg["type"] == "http.response.body":
                out.append(msg.get("body", b""))

        await app(scope, receive, send)
        answer = b"".join(out)
        if status != 200 or marker not in answer:
            raise SystemExit(f"bad answer {status}: {answer[:300]!r}")

    async def drive(batch: list[bytes]) -> None:
        it = iter(batch)

        async def lane() -> None:
            for body in it:
                await one(body)

        await asyncio.gather(*(lane() for _ in range(args.concurrency)))

    async def run() -> dict[str, float]:
        await drive(bodies[: args.warmup])
        profile = cProfile.Profile() if args.profile else None
        if profile is not None:
            profile.enable()
        c0, t0 = time.process_time(), time.perf_counter()
        await drive(bodies[args.warmup :])
        c1, t1 = time.process_time(), time.perf_counter()
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
        await app.state.router.aclose()
        if client is not None:
            await client.aclose()
        n = args.requests
        return {"cpu_us": (c1 - c0) / n * 1e6, "rps": n / (t1 - t0)}

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        print(json.dumps(runner.run(run())))


def callgrind_instructions(profile: Path) -> int:
    """The instruction total of a callgrind profile part."""
    for line in profile.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {profile}")


def parse_variant(spec: str) -> tuple[str, Path, str]:
    name, _, rest = spec.partition("=")
    path, _, transport = rest.partition(":")
    return name, Path(path).resolve(), transport or "pool"


def main(argv: list[str] | None = None) -> None:
    from bench.router.procs import Proc, port_free
    from bench.router.queries import QUERIES, supergraph_sdl

    p = argparse.ArgumentParser(prog="python -m bench.router.inprocess", description=__doc__)
    p.add_argument("--variant", action="append", default=[], help="NAME=DIR[:httpx]")
    p.add_argument("--query", default="join2", help="a bench.router.queries key")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--requests", type=int, default=3000)
    p.add_argument("--warmup", type=int, default=500)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--port", type=int, default=5790, help="the bench subgraphs' port")
    p.add_argument("--worker-cpu", default="0", help="taskset list for the router worker")
    p.add_argument("--subgraphs-cpu", default="1", help="taskset list for the subgraphs")
    p.add_argument(
        "--callgrind",
        action="store_true",
        help="count instructions per request under valgrind instead (one round is enough: "
        "the count does not depend on the machine's load)",
    )
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--profile", help=argparse.SUPPRESS)  # worker: cProfile stats to this file
    p.add_argument("--sdl", help=argparse.SUPPRESS)
    p.add_argument("--text", help=argparse.SUPPRESS)
    p.add_argument("--marker", help=argparse.SUPPRESS)
    p.add_argument("--transport", default="pool", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        _worker(args)
        return
    variants = [parse_variant(v) for v in args.variant] or [("ours", REPO, "pool")]
    if not port_free(args.port):
        raise SystemExit(f"port {args.port} in use (pick another --port)")
    url = f"http://127.0.0.1:{args.port}"
    work = Path(tempfile.mkdtemp(prefix="bench-inprocess-"))
    log, sdl = work / "subgraphs.log", work / "supergraph.graphql"
    sdl.write_text(supergraph_sdl(url))
    query = next(q for q in QUERIES if q.key == args.query)
    subgraphs = Proc(
        "subgraphs",
        [sys.executable, "-m", "bench.router.subgraphs", "--port", str(args.port)],
        cpus=args.subgraphs_cpu,
        log=log,
        cwd=REPO,
    )
    results: dict[str, list[float]] = {name: [] for name, _, _ in variants}
    unit = "instructions" if args.callgrind else "µs CPU"
    load = []
    try:
        subgraphs.wait_ready(f"{url}/users", b'{"query":"{ user(id: \\"1\\") { id } }"}')
        for r in range(args.rounds):
            load.append(os.getloadavg()[0])
            for name, path, transport in variants:
                # the worker runs as a script: only `router` comes from the variant's checkout
                cmd = [
                    "taskset", "-c", args.worker_cpu, sys.executable, __file__, "--worker",
                    "--sdl", str(sdl), "--text", query.text, "--marker", query.marker,
                    "--transport", transport,
                    "--requests", str(args.requests), "--warmup", str(args.warmup),
                    "--concurrency", str(args.concurrency),
                ]  # fmt: skip
                env = {**os.environ, "PYTHONPATH": str(path), "PYTHONHASHSEED": "0"}
                prefix = work / f"callgrind.{name}.{r}"
                if args.callgrind:  # a profile part is dumped at each process_time() call
                    cmd[3:3] = [
                        "valgrind", "--tool=callgrind", "--dump-before=time_process_time",
                        f"--callgrind-out-file={prefix}",
                    ]  # fmt: skip
                out = subprocess.run(cmd, env=env, cwd=path, capture_output=True, text=True)
                if out.returncode != 0:
                    raise SystemExit(f"{name} failed:\n{out.stderr[-3000:]}{out.stdout[-500:]}")
                got = json.loads(out.stdout.strip().splitlines()[-1])
                value = (
                    callgrind_instructions(Path(f"{prefix}.2")) / args.requests
                    if args.callgrind
                    else got["cpu_us"]
                )
                results[name].append(value)
                print(f"round {r + 1} {name}: {value:.0f} {unit}/request", flush=True)
    finally:
        subgraphs.stop()
    first = variants[0][0]
    base = statistics.median(results[first])
    print(f"\n{args.query}, {args.requests} requests x {args.rounds} rounds, load {load}")
    for name, _, _ in variants:
        med = statistics.median(results[name])
        rounds = ", ".join(f"{x:.0f}" for x in results[name])
        diff = (med - base) / base
        print(f"{name:>12}: {med:9.1f} {unit}/request  ({diff:+6.1%} vs {first})  [{rounds}]")


if __name__ == "__main__":
    main()
