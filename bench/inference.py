"""NLU serving against the raw model: ``python bench/inference.py --model DIR``.

One run, one machine, three measurements:

1. the raw model in a child process pinned to the server's CPU: ``NLUModel.predict``
   on one utterance (single forward latency) and on batches of 32 (batched
   throughput), the very function the subgraph's batcher calls;
2. the NLU subgraph as a real process (``chorus subgraph nlu``, uvicorn, pinned to
   the same CPU) with batching on, then off (``CHORUS_NLU_BATCHING=0``), driven over
   HTTP by this process (pinned to the other CPU) at each concurrency for a fixed
   duration, while a thread probes ``/health``;
3. the raw model again, so drift in the machine's load shows up as a spread.

Mean batch size comes from the server's ``/metrics`` (``chorus_model_batch_size``);
``loop ms`` is the CPU time of the server's event-loop thread per answered request
(``/proc/PID/task/PID/schedstat``), the framework's share beside the model's thread.
``--loop-cpu lean,strawberry`` measures that share in-process instead (the NLU app called
through ASGI, lean GraphQL path on or off), alternating fresh child processes.
Every process the bench starts runs in its own process group and is stopped at
the end (also on Ctrl-C); the ports are checked free before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/inference.py` from anywhere
    sys.path.insert(0, str(REPO))

from bench.router.procs import Proc, port_free  # noqa: E402

QUERY = (
    "query($text: String!) { understand(text: $text) { fallback intent { name confidence } "
    "entities { type value start end } model { name version } } }"
)
DATA = REPO / "apps" / "concierge" / "data" / "nlu.yml"
RAW_BATCH = 32


# ---- statistics -----------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def load_texts() -> list[str]:
    from models.nlu.yaml_format import load_training_yaml

    return [e.text for e in load_training_yaml(DATA).examples]


# ---- raw model (runs in a child process pinned to the server's CPU) -------------------------
def raw_measure(model_dir: str, duration: float, precision: str) -> dict[str, Any]:
    """Single forward latency and batched throughput of ``NLUModel.predict``, one thread."""
    from models.encoder import configure_torch
    from models.nlu.model import NLUModel

    configure_torch(1)
    model = NLUModel.load(model_dir, precision=precision)
    model.warm_up()
    texts = load_texts()
    for i in range(0, 3 * RAW_BATCH, RAW_BATCH):  # warm-up at the measured shapes
        model.predict(texts[i : i + RAW_BATCH])
    for text in texts[:20]:
        model.predict([text])

    singles: list[float] = []
    deadline = time.perf_counter() + duration
    i = 0
    while time.perf_counter() < deadline or len(singles) < 50:
        text = texts[i % len(texts)]
        began = time.perf_counter()
        model.predict([text])
        singles.append(time.perf_counter() - began)
        i += 1

    passes: list[float] = []
    items = 0
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline or len(passes) < 5:
        batch = [texts[(i + k) % len(texts)] for k in range(RAW_BATCH)]
        i += RAW_BATCH
        began = time.perf_counter()
        model.predict(batch)
        passes.append(time.perf_counter() - began)
        items += len(batch)
    return {
        "precision": model.precision,
        "single_p50_ms": percentile(singles, 0.5) * 1000,
        "single_p99_ms": percentile(singles, 0.99) * 1000,
        "single_n": len(singles),
        "batch_size": RAW_BATCH,
        "batch_p50_ms": percentile(passes, 0.5) * 1000,
        "batched_rps": items / sum(passes),
        "batched_n": len(passes),
    }


def _run_pinned_child(
    args: argparse.Namespace, child_args: list[str], env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """This script again, as a child pinned to the server's CPU (`--server-cpu`)."""
    return subprocess.run(
        [
            "taskset",
            "-c",
            args.server_cpu,
            sys.executable,
            str(Path(__file__).resolve()),
            *child_args,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_raw(args: argparse.Namespace) -> dict[str, Any]:
    """The raw measurement in a child pinned like the server, so both share one CPU's fate."""
    out = _run_pinned_child(
        args,
        [
            *("--raw-only", "--model", args.model, "--duration", str(args.duration)),
            *("--precision", args.precision),
        ],
        {**os.environ, "CHORUS_TORCH_THREADS": "1"},
        timeout=300,
    )
    out.check_returncode()
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---- HTTP load -------------------------------------------------------------------------------
@dataclass
class Cell:
    batching: bool
    concurrency: int
    seconds: float = 0.0
    ok: int = 0
    errors: int = 0
    error_sample: str = ""
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    rps: float = 0.0
    mean_batch: float = 0.0
    passes: float = 0.0
    server_cpu_pct: float = 0.0
    health_p50_ms: float = 0.0
    health_p99_ms: float = 0.0
    health_max_ms: float = 0.0
    health_n: int = 0
    load: float = 0.0
    loop_ms: float = 0.0  # the server's event-loop thread CPU per answered request


def _probe_health(port: int, interval: float, stop: Any, out: Any) -> None:
    """Child process body: GET /health every `interval` s until `stop` is set; send timings."""
    samples: list[float] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    while not stop.is_set():
        began = time.perf_counter()
        try:
            conn.request("GET", "/health")
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                samples.append(time.perf_counter() - began)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        stop.wait(interval)
    conn.close()
    out.send(samples)


class HealthProbe:
    """Probes /health from its own process (no GIL shared with the load generator)."""

    def __init__(self, port: int, interval: float = 0.02) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._stop = ctx.Event()
        self._recv, send = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(
            target=_probe_health, args=(port, interval, self._stop, send), daemon=True
        )
        self.samples: list[float] = []

    def __enter__(self) -> HealthProbe:
        self._proc.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        with contextlib.suppress(EOFError, OSError):
            if self._recv.poll(10):
                self.samples = self._recv.recv()
        self._proc.join(5)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()


def _texts_cycle(texts: list[str]) -> Iterator[str]:
    while True:
        yield from texts


class RawConnection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON and reads a Content-Length answer.

    httpx costs about 2 ms of client CPU per request here, which caps one client core
    near 450 requests/s, below what the served model reaches; this costs a tenth of
    that, so the load generator is not what is measured. ``--client httpx`` compares.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._head = (
            f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
        ).encode()

    async def post(self, body: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self._reader is not None
        self._writer.write(self._head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return status, await self._reader.readexactly(length)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = None


def thread_cpu_s(pid: int, tid: int | None = None) -> float:
    """CPU time of one thread (the main thread by default: uvicorn's event loop), in seconds."""
    fields = Path(f"/proc/{pid}/task/{tid or pid}/schedstat").read_text().split()
    return int(fields[0]) / 1e9


async def drive(
    port: int,
    concurrency: int,
    seconds: float,
    texts: Iterator[str],
    client: str = "raw",
    loop_cpu: Callable[[], float] | None = None,
) -> Cell:
    """`concurrency` clients, each sending its next request as soon as the last one answers.

    `loop_cpu()`, when given, reads the server loop's CPU seconds at the start and end of the
    measured window, for `Cell.loop_ms` (the /health probes, 50 a second, count in it too).
    """
    import httpx

    cell = Cell(batching=True, concurrency=concurrency)
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    url = f"http://127.0.0.1:{port}/graphql"
    async with httpx.AsyncClient(limits=limits, timeout=30) as pool:

        async def client_loop(deadline: float, record: bool) -> None:
            conn = RawConnection(port)
            try:
                while time.perf_counter() < deadline:
                    body = json.dumps({"query": QUERY, "variables": {"text": next(texts)}})
                    began = time.perf_counter()
                    if client == "raw":
                        status, answer = await conn.post(body.encode())
                    else:
                        headers = {"content-type": "application/json"}
                        response = await pool.post(url, content=body, headers=headers)
                        status, answer = response.status_code, response.content
                    elapsed = time.perf_counter() - began
                    if not record:
                        continue
                    result = json.loads(answer)
                    if status == 200 and result.get("data") and not result.get("errors"):
                        latencies.append(elapsed)
                        cell.ok += 1
                    else:
                        cell.errors += 1
                        cell.error_sample = cell.error_sample or answer[:200].decode(
                            errors="replace"
                        )
            finally:
                await conn.close()

        warm = time.perf_counter() + min(1.0, seconds / 3)
        await asyncio.gather(*(client_loop(warm, False) for _ in range(concurrency)))
        cpu0 = loop_cpu() if loop_cpu else 0.0
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(began + seconds, True) for _ in range(concurrency)))
        cell.seconds = time.perf_counter() - began
        if loop_cpu and cell.ok + cell.errors:
            cell.loop_ms = 1000 * (loop_cpu() - cpu0) / (cell.ok + cell.errors)
    cell.rps = cell.ok / cell.seconds
    cell.p50_ms = percentile(latencies, 0.5) * 1000
    cell.p99_ms = percentile(latencies, 0.99) * 1000
    return cell


def _run_loop(coro: Any) -> Cell:
    """uvloop where it is installed (uvicorn's own loop), asyncio's otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def batch_counters(port: int) -> tuple[float, float]:
    """(sum, count) of chorus_model_batch_size over every model and version of the server."""
    from prometheus_client.parser import text_string_to_metric_families

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    total = count = 0.0
    for family in text_string_to_metric_families(text):
        if family.name != "chorus_model_batch_size":
            continue
        for sample in family.samples:
            if sample.name.endswith("_sum"):
                total += sample.value
            elif sample.name.endswith("_count"):
                count += sample.value
    return total, count


# ---- the server process ----------------------------------------------------------------------
@dataclass
class Server:
    batching: bool
    spawn_to_ready_s: float = 0.0
    logged_ready_s: float | None = None
    cells: list[Cell] = field(default_factory=list)


def _ready(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/ready")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _logged_ready(log: Path) -> float | None:
    for line in log.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and entry.get("ready_after_start_s") is not None:
                return float(entry["ready_after_start_s"])
    return None


def serve_and_drive(args: argparse.Namespace, batching: bool, texts: list[str]) -> Server:
    env = {
        "CHORUS_NLU_MODEL_PATH": args.model,
        "CHORUS_NLU_BATCHING": "1" if batching else "0",
        "CHORUS_NLU_PRECISION": args.precision,
        "CHORUS_TORCH_THREADS": "1",
        "CHORUS_LOG_FORMAT": "json",
        "CHORUS_TRACES_EXPORTER": "none",
        "CHORUS_DATA_DIR": args.workdir,
        "CHORUS_DATABASE_URL": f"sqlite+aiosqlite:///{args.workdir}/chorus.db",
        **dict(item.split("=", 1) for item in args.server_env),
    }
    log = Path(args.workdir) / f"nlu-{'on' if batching else 'off'}.log"
    argv = [sys.executable, "-m", "chorus", "subgraph", "nlu", "--port", str(args.port)]
    argv += ["--host", "127.0.0.1"]
    server = Server(batching)
    began = time.perf_counter()
    proc = Proc(
        f"nlu-{batching}", argv, cpus=args.server_cpu, log=log, cwd=args.server_repo, env=env
    )
    try:
        deadline = began + 120
        while not _ready(args.port):
            if proc.popen.poll() is not None:
                raise RuntimeError(f"the NLU subgraph exited:\n{proc.tail()}")
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the NLU subgraph was not ready in 120 s:\n{proc.tail()}")
            time.sleep(0.05)
        server.spawn_to_ready_s = time.perf_counter() - began
        server.logged_ready_s = _logged_ready(log)
        cycle = _texts_cycle(texts)
        for concurrency in args.concurrency:
            before, wall, cpu = batch_counters(args.port), time.perf_counter(), proc.cpu()
            with HealthProbe(args.port) as probe:
                cell = _run_loop(
                    drive(
                        args.port,
                        concurrency,
                        args.duration,
                        cycle,
                        args.client,
                        loop_cpu=lambda: thread_cpu_s(proc.pid),
                    )
                )
            after = batch_counters(args.port)
            cell.server_cpu_pct = 100 * (proc.cpu() - cpu) / (time.perf_counter() - wall)
            cell.batching = batching
            passes = after[1] - before[1]
            cell.passes = passes
            cell.mean_batch = (after[0] - before[0]) / passes if passes else 0.0
            health = probe.samples
            cell.health_n = len(health)
            cell.health_p50_ms = percentile(health, 0.5) * 1000
            cell.health_p99_ms = percentile(health, 0.99) * 1000
            cell.health_max_ms = max(health, default=float("nan")) * 1000
            cell.load = os.getloadavg()[0]
            server.cells.append(cell)
            print(f"  {_row(cell)}", file=sys.stderr, flush=True)
    finally:
        proc.stop()
    return server


# ---- report ----------------------------------------------------------------------------------
HEADER = (
    f"{'batching':<9}{'conc':>5}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'batch':>7}"
    f"{'srv cpu':>9}{'loop ms':>9}{'health p99':>12}{'errors':>8}{'load':>6}"
)


def _row(c: Cell) -> str:
    return (
        f"{'on' if c.batching else 'off':<9}{c.concurrency:>5}{c.rps:>9.1f}{c.p50_ms:>9.2f}"
        f"{c.p99_ms:>9.2f}{c.mean_batch:>7.1f}{c.server_cpu_pct:>8.0f}%{c.loop_ms:>9.3f}"
        f"{c.health_p99_ms:>12.2f}{c.errors:>8}{c.load:>6.2f}"
    )


def _cell(servers: list[Server], batching: bool, concurrency: int) -> Cell | None:
    for server in servers:
        if server.batching == batching:
            for cell in server.cells:
                if cell.concurrency == concurrency:
                    return cell
    return None


def report(raws: list[dict[str, Any]], servers: list[Server]) -> dict[str, Any]:
    raw_single = statistics.fmean(r["single_p50_ms"] for r in raws)
    raw_rps = statistics.fmean(r["batched_rps"] for r in raws)
    lines = [
        "",
        f"Raw model (NLUModel.predict in-process, {raws[0]['precision']}, one torch thread, "
        "on the server's CPU):",
    ]
    for n, r in enumerate(raws, 1):
        lines.append(
            f"  run {n}: single forward p50 {r['single_p50_ms']:.2f} ms "
            f"(p99 {r['single_p99_ms']:.2f}, n={r['single_n']}); batch of {r['batch_size']}: "
            f"p50 {r['batch_p50_ms']:.1f} ms, {r['batched_rps']:.1f} utterances/s"
        )
    lines.append(f"  mean: single p50 {raw_single:.2f} ms, batched {raw_rps:.1f} utterances/s")
    lines += ["", "Served over HTTP (chorus subgraph nlu, uvicorn):", HEADER]
    lines += [_row(c) for s in servers for c in s.cells]
    lines.append("")
    for s in servers:
        logged = f"{s.logged_ready_s:.2f} s" if s.logged_ready_s is not None else "not logged"
        lines.append(
            f"batching {'on ' if s.batching else 'off'}: spawn to /ready {s.spawn_to_ready_s:.2f} s"
            f" (server log: ready {logged} after process start)"
        )

    checks: dict[str, Any] = {}
    on32, off32 = _cell(servers, True, 32), _cell(servers, False, 32)
    on1 = _cell(servers, True, 1)
    if on32 and off32 and off32.rps:
        checks["on/off throughput at c=32"] = (
            on32.rps / off32.rps,
            ">= 3.0",
            on32.rps >= 3 * off32.rps,
        )
    if on32:
        checks["served/raw batched at c=32"] = (
            on32.rps / raw_rps,
            ">= 0.70",
            on32.rps >= 0.7 * raw_rps,
        )
    if on1:
        delta = on1.p50_ms - raw_single
        checks["c=1 p50 minus raw single forward (ms)"] = (delta, "<= 3.0", delta <= 3.0)
    saturated = [
        c for s in servers for c in s.cells if c.concurrency == max(c.concurrency for c in s.cells)
    ]
    if saturated:
        worst = max(c.health_p99_ms for c in saturated)
        checks["/health p99 while saturated (ms)"] = (worst, "<= 50", worst <= 50)
    for s in servers:
        checks[f"ready after process start, batching {'on' if s.batching else 'off'} (s)"] = (
            s.logged_ready_s if s.logged_ready_s is not None else s.spawn_to_ready_s,
            "<= 5.0",
            (s.logged_ready_s or s.spawn_to_ready_s) <= 5.0,
        )
    lines += ["", f"{'ratio':<52}{'value':>9}  {'target':<8}"]
    for name, (value, target, ok) in checks.items():
        lines.append(f"{name:<52}{value:>9.2f}  {target:<8} {'met' if ok else 'MISSED'}")
    print("\n".join(lines), flush=True)
    return {
        "raw": raws,
        "servers": [asdict(s) for s in servers],
        "checks": {k: {"value": v, "target": t, "met": ok} for k, (v, t, ok) in checks.items()},
    }


# ---- loop CPU per request, in-process (A/B of the serving path) ----------------------------
def _asgi_request(body: bytes) -> tuple[dict[str, Any], Any, Any, list[dict[str, Any]]]:
    """The scope uvicorn builds for the bench's POST, a receive giving the body, a send."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 5800),
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
        "method": "POST",
        "root_path": "",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:5800"),
            (b"content-type", b"application/json"),
            (b"accept", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    return scope, receive, send, sent


def loop_cpu_measure(
    model_dir: str, precision: str, rounds: int, batch: int, warmup_rounds: int = 2
) -> dict[str, Any]:
    """Event-loop CPU per `understand` request: the NLU app called through ASGI in-process.

    `rounds` of `batch` concurrent requests (the shape of the bench's c=32 cell) after
    `warmup_rounds`; `time.thread_time()` of the loop's thread counts everything the loop
    does for a request (routing, middlewares, GraphQL, the batcher's wake-ups, logging)
    and nothing of the forward pass, which runs in the batcher's thread. uvicorn's share
    (HTTP parsing, the socket reads and writes) is not included: the HTTP bench's
    `loop ms` column has it.
    """
    import uvloop

    from observability import configure_logging
    from subgraphs.nlu.app import create_app
    from subgraphs.nlu.settings import NLUSettings

    real_stderr = sys.stderr
    with open(os.devnull, "w") as devnull:  # the served process's JSON log lines, discarded
        sys.stderr = devnull
        configure_logging("nlu")
        sys.stderr = real_stderr
        texts = load_texts()
        settings = NLUSettings.model_validate({"model_path": model_dir, "precision": precision})
        app = create_app(settings)

        async def run() -> dict[str, Any]:
            async with app.router.lifespan_context(app):
                await app.state.readiness.wait()
                cycle = _texts_cycle(texts)
                cpu = 0.0
                wall = 0.0
                requests = 0
                for round_ in range(rounds + warmup_rounds):
                    calls = []
                    sent_all = []
                    for _ in range(batch):
                        body = json.dumps({"query": QUERY, "variables": {"text": next(cycle)}})
                        scope, receive, send, sent = _asgi_request(body.encode())
                        calls.append(app(scope, receive, send))
                        sent_all.append(sent)
                    began_cpu, began = time.thread_time(), time.perf_counter()
                    await asyncio.gather(*calls)
                    if round_ >= warmup_rounds:
                        cpu += time.thread_time() - began_cpu
                        wall += time.perf_counter() - began
                        requests += batch
                    for sent in sent_all:
                        answer = json.loads(sent[-1]["body"])
                        if sent[0]["status"] != 200 or answer.get("errors"):
                            raise RuntimeError(f"bad answer: {answer}")
                return {
                    "lean": os.environ.get("CHORUS_LEAN_GRAPHQL", "1") != "0",
                    "requests": requests,
                    "loop_cpu_ms_per_request": 1000 * cpu / requests,
                    "wall_ms_per_request": 1000 * wall / requests,
                }

        return uvloop.run(run())


def run_loop_cpu(args: argparse.Namespace) -> int:
    """A/B of loop CPU per request, variants alternated in fresh child processes."""
    variants = [v for v in args.loop_cpu.split(",") if v]
    results: dict[str, list[float]] = {v: [] for v in variants}
    for trial in range(args.loop_trials):
        for variant in variants:
            env = {
                **os.environ,
                "CHORUS_TORCH_THREADS": "1",
                "CHORUS_TRACES_EXPORTER": "none",
                "CHORUS_LOG_FORMAT": "json",
                "CHORUS_LEAN_GRAPHQL": "0" if variant == "strawberry" else "1",
            }
            out = _run_pinned_child(
                args,
                [
                    *("--loop-cpu-child", "--model", args.model, "--precision", args.precision),
                    *("--loop-rounds", str(args.loop_rounds)),
                ],
                env,
                timeout=600,
            )
            if out.returncode != 0:
                print(out.stderr[-3000:], file=sys.stderr)
                return 1
            figures = json.loads(out.stdout.strip().splitlines()[-1])
            results[variant].append(figures["loop_cpu_ms_per_request"])
            print(
                f"trial {trial + 1} {variant:<10} loop CPU {figures['loop_cpu_ms_per_request']:.3f}"
                f" ms/request (wall {figures['wall_ms_per_request']:.3f} ms, "
                f"n={figures['requests']}, load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
    for variant, values in results.items():
        print(
            f"{variant:<10} median {statistics.median(values):.3f} ms/request "
            f"(min {min(values):.3f}, max {max(values):.3f}, {len(values)} trials)"
        )
    return 0


# ---- main ------------------------------------------------------------------------------------
def _default_model() -> str | None:
    """The newest NLU artefact under $CHORUS_DATA_DIR (or ./.chorus)."""
    root = Path(os.environ.get("CHORUS_DATA_DIR", REPO / ".chorus")) / "models" / "nlu"
    found = sorted(p for p in root.glob("*") if (p / "config.json").is_file())
    return str(found[-1]) if found else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="NLU artefact directory")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per cell")
    parser.add_argument("--concurrency", default="1,8,32,64")
    parser.add_argument("--port", type=int, default=5800)
    parser.add_argument("--server-cpu", default="0")
    parser.add_argument("--client-cpu", default="1")
    parser.add_argument("--modes", default="on,off", help="batching modes to serve")
    parser.add_argument("--client", default="raw", choices=("raw", "httpx"), help="load client")
    parser.add_argument(
        "--precision", default="auto", choices=("auto", "fp32", "bf16"), help="server and raw"
    )
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument(
        "--server-repo",
        type=Path,
        default=REPO,
        help="serve the subgraph from this checkout (A/B against e.g. `git archive HEAD`)",
    )
    parser.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment of the served subgraph, e.g. CHORUS_LEAN_GRAPHQL=0 (repeatable)",
    )
    parser.add_argument("--raw-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--loop-cpu",
        default=None,
        metavar="VARIANTS",
        help="instead of the HTTP bench: event-loop CPU per request in-process, for the "
        "variants given (lean,strawberry), alternated over --loop-trials child processes",
    )
    parser.add_argument("--loop-trials", type=int, default=3)
    parser.add_argument("--loop-rounds", type=int, default=30, help="rounds of 32 requests")
    parser.add_argument("--loop-cpu-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.model = args.model or _default_model()
    if not args.model or not (Path(args.model) / "config.json").is_file():
        parser.error("--model DIR is needed (a trained NLU artefact directory)")
    if args.raw_only:
        print(json.dumps(raw_measure(args.model, args.duration, args.precision)))
        return 0
    if args.loop_cpu_child:
        figures = loop_cpu_measure(args.model, args.precision, args.loop_rounds, RAW_BATCH)
        print(json.dumps(figures))
        return 0
    if args.loop_cpu:
        if not set(args.loop_cpu.split(",")) <= {"lean", "strawberry"}:
            parser.error("--loop-cpu takes lean and/or strawberry")
        return run_loop_cpu(args)
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    if not port_free(args.port):
        parser.error(f"port {args.port} is busy")
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {int(c) for c in args.client_cpu.split(",")})
    import tempfile

    texts = load_texts()
    load0 = os.getloadavg()
    print(
        f"model {args.model}; server CPU {args.server_cpu}, client CPU {args.client_cpu}; "
        f"{args.duration:g} s per cell; load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="chorus-bench-inference-") as workdir:
        args.workdir = workdir
        raws = [run_raw(args)]
        print(f"  raw: {json.dumps(raws[0])}", file=sys.stderr, flush=True)
        servers = [
            serve_and_drive(args, mode == "on", texts) for mode in args.modes.split(",") if mode
        ]
        raws.append(run_raw(args))
        print(f"  raw: {json.dumps(raws[1])}", file=sys.stderr, flush=True)
    load1 = os.getloadavg()
    result = report(raws, servers)
    print(f"load average at the end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    if not port_free(args.port):
        print(f"warning: port {args.port} still busy after the run", file=sys.stderr)
    if args.json:
        result["load"] = {"start": load0, "end": load1}
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
