"""What one subgraph request costs the kit and strawberry, in process, warm and cold.

    python -m bench.subgraph_request                        # 4 rounds of 1,000 requests a mode
    python -m bench.subgraph_request --evict-mb 64 --rounds 6
    python -m bench.subgraph_request --no-access-log        # what the access log line costs
    python -m bench.subgraph_request --profile entities     # cProfile, warm

The request is the NLU's `_entities` request for a turn's `understanding`, as the router
sends it for the concierge's `say` (the query of its plan, one representation). It is
posted to the NLU subgraph's ASGI app as served (the kit's middleware, lean path and
access log, logging configured as `chorus subgraph` configures it, JSON lines to a
file; no sockets, no uvicorn) with the model replaced by a fixed answer, so the CPU
counted is the request's handling only: the kit, its access log, strawberry and
graphql-core.
`trivial` (`{ __typename }`) is the smallest request the kit answers, for the fixed part.

Each request is timed with `time.thread_time` (the stubbed app runs on one thread), in
two ways, alternating round by round:

- **warm**: requests back to back, as a micro-benchmark of a subgraph runs them;
- **cold**: before each request, uncounted, `--evict-mb` MB of memory are read, as a
  model's forward pass does between two requests of a pipeline turn (the NLU's and the
  generator's weights stream through the caches). In bench/pipeline.py every subgraph
  request runs after such a pass.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import logging
import os
import pstats
import statistics
import sys
import tempfile
import time

from starlette.applications import Starlette

from bench.asgi_caller import AsgiCaller
from models.nlu.understanding import ExtractedEntity, IntentScore, ModelRef, Understanding
from observability import configure_logging
from subgraphs.kit import create_app
from subgraphs.nlu.schema import build_schema
from subgraphs.nlu.service import NLUService

# The NLU fetch of bench/pipeline.py's `say` (the router's query plan).
ENTITIES = (
    "query($representations:[_Any!]!){_entities(representations:$representations){"
    "...on Turn{understanding{intent{name confidence}entities{type value start end}"
    "fallback}}}}"
)
TEXT = "book a table for two tomorrow at 7pm"
ANSWER = Understanding(
    text=TEXT,
    intent=IntentScore("book_table", 0.97),
    ranking=[IntentScore("book_table", 0.97), IntentScore("faq", 0.02)],
    entities=[
        ExtractedEntity("party_size", "2", "two", 17, 20, 0.99, "nlu"),
        ExtractedEntity("date", "2026-12-09", "tomorrow", 21, 29, 0.98, "nlu"),
        ExtractedEntity("time", "19:00", "7pm", 33, 36, 0.97, "nlu"),
    ],
    fallback=False,
    model=ModelRef("nlu", "bench"),
)
BODIES = {
    "entities": json.dumps(
        {
            "query": ENTITIES,
            "variables": {"representations": [{"__typename": "Turn", "id": "t1", "text": TEXT}]},
        }
    ).encode(),
    "trivial": json.dumps({"query": "{ __typename }"}).encode(),
}


def stubbed_app() -> Starlette:
    """The NLU subgraph's app as `create_app` builds it, answering with `ANSWER`."""
    service = NLUService()

    async def understand(text: str) -> Understanding:
        return ANSWER

    service.understand = understand  # type: ignore[method-assign]
    return create_app(build_schema(service), name="nlu", context={"nlu": service})


async def round_us(
    caller: AsgiCaller, body: bytes, requests: int, sweep: bytearray | None
) -> float:
    """Median thread CPU microseconds per request over `requests` requests."""
    times = []
    for _ in range(requests):
        if sweep is not None:
            sweep.count(1)  # read through the caches (a large copy may bypass them)
        began = time.thread_time()
        await caller.post_raw(body)
        times.append(time.thread_time() - began)
    return statistics.median(times) * 1e6


async def run(args: argparse.Namespace) -> None:
    caller = AsgiCaller(stubbed_app())
    for name, body in BODIES.items():
        for _ in range(200):
            answer = await caller.post(body)  # no errors, or it fails here
        assert answer["data"], (name, answer)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            await caller.post_raw(BODIES[args.profile])
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.limit)
        return
    sweep = bytearray(args.evict_mb << 20)
    gc.collect()
    results: dict[tuple[str, str], list[float]] = {}
    print(f"load average {os.getloadavg()[0]:.2f}; {args.requests} requests a round")
    for r in range(args.rounds):
        for mode in ("warm", "cold") if r % 2 == 0 else ("cold", "warm"):
            for name, body in BODIES.items():
                us = await round_us(caller, body, args.requests, sweep if mode == "cold" else None)
                results.setdefault((name, mode), []).append(us)
                print(f"round {r}  {name:8} {mode:4}  {us:7.1f} us")
    for name in BODIES:
        warm = statistics.median(results[(name, "warm")])
        cold = statistics.median(results[(name, "cold")])
        print(
            f"median {name:8} warm {warm:7.1f} us, cold {cold:7.1f} us "
            f"({cold / warm:.2f}x, caches swept with {args.evict_mb} MB)"
        )
    print(f"load average {os.getloadavg()[0]:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests a round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds a mode (alternating)")
    parser.add_argument("--evict-mb", type=int, default=64, help="memory read before a request")
    parser.add_argument(
        "--no-access-log", action="store_true", help="the kit's access log off (level WARNING)"
    )
    parser.add_argument("--profile", choices=sorted(BODIES), help="cProfile one request kind")
    parser.add_argument("--sort", default="tottime", help="pstats sort key (--profile)")
    parser.add_argument("--limit", type=int, default=40, help="rows printed (--profile)")
    args = parser.parse_args(argv)
    os.environ.setdefault("CHORUS_GC_FREEZE", "0")
    os.environ.setdefault("CHORUS_LOG_FORMAT", "json")
    import uvloop

    with tempfile.TemporaryFile("w") as log:  # the access log goes where a served one's does
        stderr, sys.stderr = sys.stderr, log
        try:
            configure_logging("nlu")
        finally:
            sys.stderr = stderr
        if args.no_access_log:
            logging.getLogger("chorus.access").setLevel(logging.WARNING)
        uvloop.run(run(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
