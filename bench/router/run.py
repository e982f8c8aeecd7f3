"""The benchmark run: subgraphs, supergraph, gateways, preflight, load, report."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from bench.router.gateways import (
    GATEWAYS,
    REPO,
    Gateway,
    baseline,
    cache_dir,
    install_peers,
    versions,
)
from bench.router.load import require_wrk, run_wrk
from bench.router.procs import Proc, port_free, post_json
from bench.router.queries import QUERIES, Query, supergraph_sdl
from bench.router.report import Cell, Report, combine

__all__ = ["Options", "run"]


@dataclass(frozen=True)
class Options:
    gateways: list[str]
    queries: list[str]
    seconds: float
    rounds: int
    warmup: float
    connections: int
    latency_seconds: float
    base_port: int
    load_cpu: str
    server_cpu: str
    out: Path | None
    keep_logs: bool
    command: str
    baseline_repo: Path | None = None


def _log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _machine() -> str:
    model = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} × {model}"


@contextlib.contextmanager
def _terminate_on_sigterm() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so every started process is stopped."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _check_answer(url: str, q: Query) -> bool:
    uid = "42"
    body = json.dumps({"query": q.text, "variables": {"id": uid}}).encode()
    try:
        status, raw = post_json(url, body)
    except OSError as exc:
        _log(f"  {url}: {exc}")
        return False
    got = json.loads(raw)
    ok = status == 200 and got == q.expected(uid)
    if not ok:
        _log(f"  {url} answered {status} {raw[:300]!r}")
    return ok


def run(opts: Options) -> Report:
    require_wrk()
    if (os.cpu_count() or 1) < 2:
        raise SystemExit("the bench needs 2 CPUs: wrk on one, the servers on the other")
    chosen = [g for g in GATEWAYS if g.key in opts.gateways]
    if opts.baseline_repo is not None:
        chosen.append(baseline(opts.baseline_repo))
    queries = [q for q in QUERIES if q.key in opts.queries]
    ports = {"subgraphs": opts.base_port} | {
        g.key: opts.base_port + 1 + i for i, g in enumerate(GATEWAYS)
    }
    ports["baseline"] = opts.base_port + 1 + len(GATEWAYS)
    busy = [p for p in ports.values() if not port_free(p)]
    if busy:
        raise SystemExit(f"ports in use: {busy} (pick another --base-port)")
    if any(g.key not in ("chorus", "baseline") for g in chosen):
        install_peers(_log)

    work = Path(tempfile.mkdtemp(prefix="bench-router-"))
    procs: list[Proc] = []
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = _loadavg()
    try:
        with _terminate_on_sigterm():
            report = _run(opts, chosen, queries, ports, work, procs)
        report.started, report.load_before = started, load_before
    finally:
        for p in reversed(procs):
            p.stop()
        if opts.keep_logs:
            _log(f"logs kept in {work}")
        else:
            for f in work.iterdir():
                f.unlink()
            work.rmdir()
    out = opts.out or cache_dir() / "results" / f"router-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(asdict(report), indent=2))
    _log(f"results written to {out}")
    return report


def _run(
    opts: Options,
    chosen: list[Gateway],
    queries: list[Query],
    ports: dict[str, int],
    work: Path,
    procs: list[Proc],
) -> Report:
    sub_url = f"http://127.0.0.1:{ports['subgraphs']}"
    subgraphs = Proc(
        "subgraphs",
        [sys.executable, "-m", "bench.router.subgraphs", "--port", str(ports["subgraphs"])],
        cpus=opts.server_cpu,
        log=work / "subgraphs.log",
        cwd=REPO,
    )
    procs.append(subgraphs)
    subgraphs.wait_ready(f"{sub_url}/users", b'{"query":"{ user(id: \\"1\\") { id } }"}')
    sg_file = work / "supergraph.graphql"
    sg_file.write_text(supergraph_sdl(sub_url))

    urls: dict[str, str] = {}
    for g in chosen:
        port = ports[g.key]
        _log(f"starting {g.title} on :{port}")
        p = Proc(
            g.key,
            g.argv(sg_file, port),
            cpus=opts.server_cpu,
            log=work / f"{g.key}.log",
            cwd=g.cwd or work,
            env=g.env,
        )
        procs.append(p)
        urls[g.key] = f"http://127.0.0.1:{port}{g.path}"
    for g, p in zip(chosen, procs[1:], strict=True):
        p.wait_ready(urls[g.key], b'{"query":"{ __typename }"}')
    gw_procs = {g.key: p for g, p in zip(chosen, procs[1:], strict=True)}

    correct: dict[tuple[str, str], bool] = {}
    for g in chosen:
        for q in queries:
            correct[(g.key, q.key)] = _check_answer(urls[g.key], q)
            if not correct[(g.key, q.key)]:
                _log(f"WRONG ANSWER: {g.title} on {q.key}")

    seed = 0

    def measure(key: str, url: str, q: Query, conns: int, seconds: float, gw: Proc | None) -> Cell:
        nonlocal seed
        if opts.warmup > 0:
            seed += 10_000_000
            run_wrk(
                url,
                q.text,
                marker=q.marker,
                seed=seed,
                connections=conns,
                seconds=opts.warmup,
                cpu=opts.load_cpu,
            )
        seed += 10_000_000
        g0 = gw.cpu() if gw is not None else 0.0
        s0 = subgraphs.cpu()
        res = run_wrk(
            url,
            q.text,
            marker=q.marker,
            seed=seed,
            connections=conns,
            seconds=seconds,
            cpu=opts.load_cpu,
        )
        g1 = gw.cpu() if gw is not None else 0.0
        s1 = subgraphs.cpu()
        cell = Cell(key, q.key, conns, res, g1 - g0, s1 - s0, correct.get((key, q.key)))
        _log(
            f"{key:>7} {q.key:<6} c={conns:<3} {res.rps:8.0f} rps  p50 {res.p50_ms:6.2f} ms  "
            f"p99 {res.p99_ms:6.2f} ms  err {res.errors}  gw {cell.gateway_ms:.3f} ms/req  "
            f"sg {cell.subgraphs_ms:.3f} ms/req  load {_loadavg()}"
            + (f"\n          first bad response: {res.sample}" if res.sample else "")
        )
        return cell

    # rounds interleave the gateways, so a burst of background load hits all of them
    rounds: dict[tuple[str, str], list[Cell]] = {}
    for r in range(opts.rounds):
        _log(f"round {r + 1}/{opts.rounds}")
        for q in queries:
            for g in chosen:
                c = measure(g.key, urls[g.key], q, opts.connections, opts.seconds, gw_procs[g.key])
                rounds.setdefault((g.key, q.key), []).append(c)
    cells = [combine(rounds[(g.key, q.key)]) for q in queries for g in chosen]
    latency: list[Cell] = []
    passthrough = next((q for q in queries if q.subgraph is not None), None)
    if opts.latency_seconds > 0 and passthrough is not None:
        direct = f"{sub_url}/{passthrough.subgraph}"
        latency.append(measure("direct", direct, passthrough, 1, opts.latency_seconds, None))
        for g in chosen:
            latency.append(
                measure(g.key, urls[g.key], passthrough, 1, opts.latency_seconds, gw_procs[g.key])
            )
    titles = {g.key: g.title for g in [*GATEWAYS, *chosen]} | {q.key: q.title for q in QUERIES}
    titles["direct"] = "direct to the subgraph"
    return Report(
        started="",
        command=opts.command,
        machine=_machine(),
        load_before="",
        load_after=_loadavg(),
        seconds_per_cell=opts.seconds,
        rounds=opts.rounds,
        connections=opts.connections,
        versions=versions(),
        titles=titles,
        cells=cells,
        latency=latency,
    )
