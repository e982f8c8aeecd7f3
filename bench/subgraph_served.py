"""How long one subgraph request takes as served, caches swept before each: an A/B of checkouts.

    python -m bench.subgraph_served --variant base=/tmp/before --variant ours=.
    python -m bench.subgraph_served --variant ours=. --rounds 12 --requests 300 --evict-mb 64

Each variant's NLU app (bench/subgraph_request.py's: the kit as served, a fixed answer
instead of the model, the access log on) runs in a process of its own from its checkout,
served as `chorus subgraph` serves (uvicorn, httptools, the coalescing loop). A client on
a keep-alive connection sends the router's `_entities` request for `understanding` one at
a time and times each from the request's first byte to the answer's last; before each
request it reads `--evict-mb` MB of memory, as a model's forward pass does between two
requests of a pipeline turn, so the server runs with swept caches as it does in
bench/pipeline.py. Rounds alternate the variants' order; the report gives each variant's
median of its rounds' p50 latencies and the paired difference to the first variant, round
by round, since the machine's speed drifts more between rounds than a change moves it.
A checkout must have this bench (the servers start with `python -m bench.subgraph_served
--serve PORT` in it).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.router.procs import wait_ready


def serve(port: int) -> None:
    """Serve the stubbed NLU app as `chorus subgraph` serves a subgraph."""
    os.environ.setdefault("CHORUS_LOG_FORMAT", "json")
    os.environ.setdefault("CHORUS_GC_FREEZE", "0")
    import uvicorn

    from bench.subgraph_request import stubbed_app
    from observability import configure_logging
    from router.server.coalescing_loop import LOOP

    configure_logging("nlu")
    uvicorn.run(
        stubbed_app(),
        host="127.0.0.1",
        port=port,
        loop=LOOP,
        http="httptools",
        log_config=None,
        access_log=False,  # the kit logs one line per request
    )


def request(connection: http.client.HTTPConnection, body: bytes) -> None:
    connection.request("POST", "/graphql", body, {"content-type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    if response.status != 200 or b'"errors"' in answer:
        raise RuntimeError(f"unexpected answer {response.status}: {answer[:300]!r}")


def round_p50_us(port: int, body: bytes, requests: int, sweep: bytearray) -> float:
    """p50 microseconds of `requests` requests on a fresh keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    try:
        for _ in range(20):  # connect, warm the path
            request(connection, body)
        latencies = []
        for _ in range(requests):
            sweep.count(1)  # read through the caches, as a forward pass does
            began = time.perf_counter()
            request(connection, body)
            latencies.append(time.perf_counter() - began)
    finally:
        connection.close()
    return statistics.median(latencies) * 1e6


def compare(
    variants: dict[str, Path], rounds: int, requests: int, evict_mb: int, port: int
) -> None:
    from bench.subgraph_request import BODIES

    body = BODIES["entities"]
    sweep = bytearray(evict_mb << 20)
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    with tempfile.TemporaryDirectory(prefix="chorus-subgraph-served-") as tmp:
        try:
            for i, (name, checkout) in enumerate(variants.items()):
                with (Path(tmp) / f"{name}.log").open("wb") as log:  # the child keeps its copy
                    server = subprocess.Popen(
                        [sys.executable, "-m", "bench.subgraph_served", "--serve", str(port + i)],
                        cwd=checkout,
                        env={**os.environ, "PYTHONPATH": str(checkout)},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                servers[name] = (port + i, server)
            for p, server in servers.values():
                wait_ready(f"http://127.0.0.1:{p}/ready", server, 60)
            names = list(variants)
            results: dict[str, list[float]] = {name: [] for name in names}
            print(f"load average {os.getloadavg()[0]:.2f}; {requests} requests a round")
            for r in range(rounds):
                for name in names if r % 2 == 0 else names[::-1]:
                    p50 = round_p50_us(servers[name][0], body, requests, sweep)
                    results[name].append(p50)
                    print(f"round {r}  {name:10} p50 {p50:8.1f} us")
        finally:
            for _, server in servers.values():
                server.terminate()
                server.wait(30)
    base = names[0]
    for name in names:
        line = f"median {name:10} {statistics.median(results[name]):8.1f} us"
        if name != base:
            paired = [b - o for b, o in zip(results[base], results[name], strict=True)]
            faster = sum(d > 0 for d in paired)
            line += (
                f"; {base} - {name} per round: median {statistics.median(paired):+.1f} us "
                f"({faster} of {len(paired)} rounds faster than {base})"
            )
        print(line)
    print(f"load average {os.getloadavg()[0]:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="NAME=CHECKOUT (repeat; the first is the base)",
    )
    parser.add_argument("--rounds", type=int, default=8, help="rounds a variant (alternating)")
    parser.add_argument("--requests", type=int, default=300, help="requests a round")
    parser.add_argument("--evict-mb", type=int, default=64, help="memory read before a request")
    parser.add_argument("--port", type=int, default=4460, help="the first variant's port")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve)
        return 0
    if not args.variant:
        parser.error("give at least one --variant NAME=CHECKOUT")
    variants = {}
    for spec in args.variant:
        name, sep, checkout = spec.partition("=")
        if not sep or not name:
            parser.error(f"--variant takes NAME=CHECKOUT, got {spec!r}")
        variants[name] = Path(checkout).resolve()
    compare(variants, args.rounds, args.requests, args.evict_mb, args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
