"""Transactions scored end to end through the router: ingestion → features → anomaly → alerting.

    .venv/bin/python -m bench.fraud [--cpus 0,1] [--singles 2000] [--batches 20] [--json]

Starts the four fraud subgraphs and the router as separate processes pinned to
`--cpus` (all on the same cores, as on a 2-core host), over one migrated SQLite
database (or `--database-url`), with an anomaly model trained by the trainer
plugin and registered as production. Then, in one run, side by side:

- `submitTransaction`, one transaction per request, at concurrency `--concurrency`
  (32): the anomaly model batches across requests (the kit's `ServedModel`);
- `submitTransactions`, `--batch-size` (1,000) transactions per request, two
  requests in flight: every `_entities` step handles the whole batch.

Each transaction asks for the whole chain (`features`, `risk`, `alert`). Reported:
scored transactions/s, request latency p50/p99, CPU milliseconds per transaction
of each process (from /proc), and the load average before and after. The client
runs in this process, on the same cores, and its CPU is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.router.procs import Proc, poll_ready, port_free

FIELDS = """id features { countLastMinute amountZScore } risk { score reasons model { version } }
alert { id severity }"""
SINGLE = (
    f"mutation One($input: TransactionInput!) {{ submitTransaction(input: $input) {{ {FIELDS} }} }}"
)
BATCH = (
    f"mutation Many($inputs: [TransactionInput!]!) {{ submitTransactions(inputs: $inputs) "
    f"{{ {FIELDS} }} }}"
)
SUBGRAPHS = ("ingestion", "features", "anomaly", "alerting")
CATEGORIES = ("grocery", "electronics", "restaurants", "travel", "fuel", "clothing")


@dataclass
class Phase:
    name: str
    transactions: int
    requests: int
    seconds: float
    tx_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    cpu_ms_per_tx: dict[str, float]


class Transactions:
    """Unique, plausible transactions: 2,000 cards, time moving forward a second per 10."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.n = 0
        self.start = datetime(2025, 3, 1, tzinfo=UTC)

    def next(self) -> dict[str, Any]:
        self.n += 1
        card = self.rng.randrange(2000)
        return {
            "clientKey": f"bench-{os.getpid()}-{self.n}",
            "amount": round(self.rng.lognormvariate(3.3, 0.8), 2),
            "currency": "EUR",
            "merchant": f"merchant-{self.rng.randrange(300)}",
            "merchantCategory": self.rng.choice(CATEGORIES),
            "country": "DE" if self.rng.random() < 0.95 else "FR",
            "cardId": f"card-{card}",
            "timestamp": (self.start + timedelta(seconds=self.n / 10)).isoformat(),
        }


def _loadavg() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _process_cpu() -> float:
    t = os.times()
    return t.user + t.system


async def _phase(
    name: str,
    procs: dict[str, Proc],
    requests: int,
    concurrency: int,
    per_request: int,
    send: Callable[[], Awaitable[tuple[float, bool]]],
) -> Phase:
    before = {n: p.cpu() for n, p in procs.items()}
    client_before = _process_cpu()
    latencies: list[float] = []
    errors = 0
    remaining = requests

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            elapsed, ok = await send()
            latencies.append(elapsed)
            errors += 0 if ok else 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    transactions = requests * per_request
    cpu = {n: (p.cpu() - before[n]) * 1000 / transactions for n, p in procs.items()}
    cpu["client"] = (_process_cpu() - client_before) * 1000 / transactions
    latencies.sort()
    return Phase(
        name,
        transactions,
        requests,
        round(seconds, 2),
        round(transactions / seconds, 1),
        round(statistics.median(latencies) * 1000, 2),
        round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000, 2),
        errors,
        {n: round(v, 3) for n, v in cpu.items()},
    )


def _train_model(folder: Path, database_url: str) -> None:
    """The anomaly model by its trainer plugin, registered as the production version."""
    from apps.fraud.anomaly.trainer import TRAINER
    from models.db import create_engine
    from models.registry import ModelRegistry
    from models.resources import resolve
    from models.trainers import TrainJob

    params = {o.name: o.default for o in TRAINER.options}
    params.update(epochs=300, labels="none")
    output = folder / "models" / "anomaly" / "1"
    TRAINER.train(TrainJob("anomaly", "1", output, resolve(TRAINER.default_data), params))

    async def register() -> None:
        engine = create_engine(database_url)
        try:
            registry = ModelRegistry(engine)
            await registry.register("anomaly", "1", str(output), {}, "bench", "production")
        finally:
            await engine.dispose()

    asyncio.run(register())


def _free_ports(n: int, start: int = 24100) -> list[int]:
    ports, port = [], start
    while len(ports) < n:
        if port_free(port):
            ports.append(port)
        port += 1
    return ports


def _start(folder: Path, database_url: str, cpus: str) -> tuple[dict[str, Proc], str]:
    from router.compose import SubgraphSource, compose

    env = {
        "CHORUS_DATABASE_URL": database_url,
        "CHORUS_DATA_DIR": str(folder),
        "CHORUS_TORCH_THREADS": "1",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    ports = _free_ports(len(SUBGRAPHS) + 1)
    procs: dict[str, Proc] = {}
    probe = json.dumps({"query": "{ _service { sdl } }"}).encode()
    for name, port in zip(SUBGRAPHS, ports, strict=False):
        argv = [
            sys.executable, "-m", "uvicorn", f"apps.fraud.{name}.app:create_app", "--factory",
            "--port", str(port), "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        procs[name] = Proc(name, argv, cpus=cpus, log=folder / f"{name}.log", env=env)
    sources = []
    for name, port in zip(SUBGRAPHS, ports, strict=False):
        url = f"http://127.0.0.1:{port}/graphql"
        procs[name].wait_ready(url, probe)
        _wait_ready(f"http://127.0.0.1:{port}/ready")
        sdl = httpx.post(url, json={"query": "{ _service { sdl } }"}).json()
        sources.append(SubgraphSource(name, url, sdl["data"]["_service"]["sdl"]))
    result = compose(sources)
    assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
    supergraph = folder / "supergraph.graphql"
    supergraph.write_text(result.supergraph_sdl)
    router_url = f"http://127.0.0.1:{ports[-1]}/graphql"
    argv = [sys.executable, "-m", "router", "--supergraph", str(supergraph)]
    argv += ["--port", str(ports[-1])]
    procs["router"] = Proc("router", argv, cpus=cpus, log=folder / "router.log", env=env)
    procs["router"].wait_ready(router_url, json.dumps({"query": "{ __typename }"}).encode())
    return procs, router_url


def _wait_ready(url: str, timeout: float = 90.0) -> None:
    if not poll_ready(url, lambda: None, timeout, interval=0.25, request_timeout=5):
        raise RuntimeError(f"{url} not ready after {timeout:.0f}s")


async def _run(args: argparse.Namespace, url: str, procs: dict[str, Proc]) -> list[Phase]:
    txs = Transactions()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one() -> tuple[float, bool]:
            body = {"query": SINGLE, "variables": {"input": txs.next()}}
            t0 = time.perf_counter()
            r = await client.post(url, json=body)
            ok = r.status_code == 200 and "errors" not in r.json()
            return time.perf_counter() - t0, ok

        async def many() -> tuple[float, bool]:
            inputs = [txs.next() for _ in range(args.batch_size)]
            body = {"query": BATCH, "variables": {"inputs": inputs}}
            t0 = time.perf_counter()
            r = await client.post(url, json=body)
            data = r.json()
            ok = r.status_code == 200 and "errors" not in data
            ok = ok and len(data["data"]["submitTransactions"]) == args.batch_size
            return time.perf_counter() - t0, ok

        for _ in range(50):  # warm-up: connections, plan cache, model thread
            await one()
        await many()
        phases = [
            await _phase(
                f"submitTransaction, c={args.concurrency}",
                procs, args.singles, args.concurrency, 1, one,
            ),
            await _phase(
                f"submitTransactions, {args.batch_size} per request, c=2",
                procs, args.batches, 2, args.batch_size, many,
            ),
        ]  # fmt: skip
    return phases


def _table(phases: list[Phase], load: tuple[str, str]) -> str:
    names = [*SUBGRAPHS, "router", "client"]
    head = "| phase | tx/s | p50 ms | p99 ms | errors | " + " | ".join(names) + " |"
    lines = [head, "|" + " --- |" * (5 + len(names))]
    for p in phases:
        cpu = " | ".join(f"{p.cpu_ms_per_tx[n]:.3f}" for n in names)
        figures = f"{p.tx_per_s:.0f} | {p.p50_ms:.1f} | {p.p99_ms:.1f} | {p.errors}"
        lines.append(f"| {p.name} | {figures} | {cpu} |")
    lines.append("")
    lines.append("CPU columns: milliseconds of CPU per scored transaction, per process.")
    lines.append(f"load average before: {load[0]}; after: {load[1]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fraud", description=__doc__)
    parser.add_argument("--cpus", default="0,1", help="taskset CPU list for every server")
    parser.add_argument("--singles", type=int, default=2000, help="single-transaction requests")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--batches", type=int, default=20, help="batched requests")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="chorus-bench-fraud-"))
    database_url = args.database_url or f"sqlite+aiosqlite:///{folder / 'chorus.db'}"
    import migrations

    migrations.upgrade(database_url, owners=[f"apps.fraud.{n}" for n in SUBGRAPHS])
    _train_model(folder, database_url)
    procs: dict[str, Proc] = {}
    try:
        procs, url = _start(folder, database_url, args.cpus)
        before = _loadavg()
        phases = asyncio.run(_run(args, url, procs))
        after = _loadavg()
    finally:
        for p in procs.values():
            p.stop()
    if args.json:
        print(json.dumps({"phases": [asdict(p) for p in phases], "load": [before, after]}))
    else:
        print(_table(phases, (before, after)))
    if args.keep:
        print(f"logs and database: {folder}", file=sys.stderr)


if __name__ == "__main__":
    main()
