"""What federation costs: the concierge's `say` turn through the router against a monolith.

    .venv/bin/python -m bench.pipeline [--concurrency 1,8,32,64] [--duration 20] [--rounds 2]

One run, one machine, both architectures side by side:

- **federated**: the processes `chorus dev` starts for the repository's concierge stack
  (router, nlu, dialogue, generation, the trained default models, SQLite), driven with the
  `say` mutation through the router;
- **monolith**: `bench/monolith.py`, the same models, dialogue policy and database writes
  called in one asyncio process, driven with the same turns as plain JSON POSTs.

Both run at once on the same cores, each on its own copy of the same database; at each
concurrency the rounds alternate (federated, monolith, then monolith, federated, ...) so
both see the same load. At concurrency 1 a round plays both at once, one message each in
rotation (bench/turn_taking.py): one user per stack, the same conversations, never two turns in
flight, so a drift in the machine's speed hits both alike; and each such round runs on
stacks started in that round's order (restarted when it changes; `--no-restart-c1` keeps
them), since the one started first runs slower for as long as it runs (bench/pipeline.md).
Virtual users play conversations (bench/conversations.py: booking forms, FAQ, small
talk), a new conversation per script, one message at a time. Per round: turns/s, latency
percentiles, CPU per turn of every process (/proc/PID/stat), the mean batch size of the NLU
and of the reply generator (their `/metrics`), errors and the 1-minute load average.
Afterwards every turn a user sent is looked up in the dialogue's `turns` table: each must be
there exactly once, in order, settled, with a stored reply (lost / duplicated turns).

Then, unless `--breakdown-turns 0`, the federated stack is restarted with
`CHORUS_TRACES_EXPORTER=jsonl:DIR` and turns at concurrency 1, alternating with the
monolith's, show where a turn's time goes (bench/trace_breakdown.py) beside the
monolith's own step timers.

Models: `--models-from DIR` (a data dir with trained models: `.chorus` after `make dev`),
else the whole-stack
tests' cache (~/.cache/chorus/test-stack/<key>), else they are trained as `chorus dev`
trains them (minutes) and the cache keeps them for the next run.

Every process of both architectures runs in the bench's session, so the kernel's
autogroup scheduling gives the two the same share of a contended machine (`chorus dev`
starts each child in a session of its own: four scheduler groups against one).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/pipeline.py` from anywhere
    sys.path.insert(0, str(REPO))

from bench.conversations import SCRIPTS  # noqa: E402
from bench.router.procs import cpu_seconds, poll_ready, port_free  # noqa: E402
from bench.trace_breakdown import breakdown, render_breakdown  # noqa: E402
from bench.turn_taking import TakeTurns  # noqa: E402

SAY = (
    "mutation Say($c: ID, $t: String!) { say(conversationId: $c, text: $t) { "
    "id index conversation { id } understanding { intent { name } } "
    "action { name slots { name value } activeForm requestedSlot } "
    "reply { text source model { name version } } } }"
)
SUBGRAPHS = ("nlu", "dialogue", "generation")
# relative dates ("tomorrow") must land on open days whatever day the bench runs
CLOCK_START = "2026-12-08T12:00:00+01:00"
CACHE_ROOT = Path(os.environ.get("CHORUS_TEST_CACHE", Path.home() / ".cache/chorus/test-stack"))
GOAL_RATIO = 0.8
GOAL_P50_MS = 5.0

Post = Callable[[bytes], Awaitable[bytes]]


# ---- statistics -----------------------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def load_average() -> float:
    return os.getloadavg()[0]


# ---- the data dir and the stack -------------------------------------------------------------
def models_key() -> str:
    """The whole-stack tests' cache key (tests/helpers/pipeline_stack.py): data + model code."""
    digest = hashlib.sha256()
    data = REPO / "apps" / "concierge" / "data"
    for path in [*sorted(data.rglob("*")), *sorted((REPO / "models").rglob("*.py"))]:
        if path.is_file():
            digest.update(str(path.relative_to(REPO)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def seed_models(data: Path, models_from: Path | None) -> Path | None:
    source = models_from or CACHE_ROOT / models_key()
    if not (source / "chorus.db").exists():
        return None
    shutil.copytree(
        source, data, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.db-wal", "*.db-shm")
    )
    return source


def save_models(data: Path) -> None:
    cached = CACHE_ROOT / models_key()
    if cached.exists():
        return
    tmp = cached.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    clone_data(data, tmp)
    tmp.rename(cached)


def clone_data(source: Path, target: Path) -> None:
    """The database (a consistent copy, even while in use) and the model artefacts."""
    target.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source / "chorus.db") as src, sqlite3.connect(target / "chorus.db") as dst:
        src.backup(dst)
    shutil.copytree(source / "models", target / "models", dirs_exist_ok=True)


def subgraph_env() -> dict[str, str]:
    """The concierge's wiring of the three subgraphs (chorus.yaml `env:`), merged."""
    config = yaml.safe_load((REPO / "chorus.yaml").read_text())
    env: dict[str, str] = {}
    for name in SUBGRAPHS:
        env.update({k: str(v) for k, v in (config["subgraphs"][name].get("env") or {}).items()})
    return env


def write_config(root: Path, data: Path, port: int, checkout: Path = REPO) -> Path:
    """The checkout's concierge subgraphs (models, env, migrations) on the bench's ports."""
    repo = yaml.safe_load((checkout / "chorus.yaml").read_text())
    subgraphs = {}
    for i, name in enumerate(SUBGRAPHS, start=1):
        entry = dict(repo["subgraphs"][name])
        entry["port"] = port + i
        subgraphs[name] = entry
    config = root / "chorus.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(data),
                "router": {"port": port},
                "migrations": repo.get("migrations", []),
                "subgraphs": subgraphs,
            },
            sort_keys=False,
        )
    )
    return config


@dataclass
class Server:
    """One architecture under test: where to POST a turn and which processes to account."""

    name: str
    url: str
    log: Path
    db: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    metrics: dict[str, str] = field(default_factory=dict)  # served model -> its /metrics

    def spawn(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        """A process in its own process group but the bench's session: every process of
        both architectures shares one scheduler autogroup, so neither gets more of a
        contended machine for being several processes (`chorus dev` gives each child a
        session of its own)."""
        with self.log.open("ab") as out:
            self.processes[name] = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                process_group=0,
            )

    def check(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(
                    f"{self.name}: {name} exited ({process.returncode}):\n"
                    f"{self.log.read_text(errors='replace')[-4000:]}"
                )

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):  # the router first
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def steps(self) -> dict[str, Any] | None:
        """The monolith's step timers (None for the federated stack)."""
        if self.name != "monolith":
            return None
        return get_json(self.url.replace("/say", "/stats"))  # type: ignore[no-any-return]

    def batches(self) -> dict[str, tuple[float, float]]:
        return {model: batch_stats(url, model) for model, url in self.metrics.items()}

    def cpu(self) -> dict[str, float]:
        return {name: cpu_seconds(p.pid) for name, p in self.processes.items()}


PREPARE = """
import os, sys
from pathlib import Path
from rich.console import Console
from chorus import bootstrap
from chorus.config import load_config
config = load_config(Path(sys.argv[1]))
config.data_dir.mkdir(parents=True, exist_ok=True)
os.environ.update(config.process_env())
bootstrap.migrate(config)
bootstrap.ensure_models(config, Console(stderr=True))
Path(sys.argv[2]).write_text(__import__("json").dumps(config.process_env()))
"""

COMPOSE = """
import asyncio, sys
from pathlib import Path
from chorus.config import load_config
from chorus.dev import compose_running
sdl, _ = asyncio.run(compose_running(load_config(Path(sys.argv[1]))))
Path(sys.argv[2]).write_text(sdl)
"""


def wait_http(server: Server, url: str, timeout: float) -> None:
    """Until `url` answers 200; every process of `server` must stay up meanwhile."""
    if not poll_ready(url, server.check, timeout, interval=0.5, request_timeout=2):
        server.stop()
        raise RuntimeError(f"{url} not ready:\n{server.log.read_text()[-4000:]}")


def start_federated(
    root: Path,
    data: Path,
    port: int,
    env: dict[str, str],
    *,
    name: str = "federated",
    checkout: Path = REPO,
) -> Server:
    """The processes `chorus dev` starts (three subgraphs, then the router on the composed
    supergraph) from `checkout` (this one, or a baseline's): migrated, models trained the
    first time, as `chorus dev` does."""
    root.mkdir(parents=True, exist_ok=True)
    config = write_config(root, data, port, checkout)
    child_env = {**env, "PYTHONPATH": str(checkout), "PYTHONUNBUFFERED": "1"}
    log = root / f"{name}.log"
    prepared = root / "process-env.json"
    with log.open("wb") as out:  # a first run trains the models: minutes
        subprocess.run(
            [sys.executable, "-c", PREPARE, str(config), str(prepared)],
            cwd=root,
            env=child_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=True,
        )
    child_env.update(json.loads(prepared.read_text()))
    child_env["CHORUS_CONFIG"] = str(config)
    server = Server(name, f"http://127.0.0.1:{port}/graphql", log, db=data / "chorus.db")
    python = [sys.executable, "-m", "chorus"]
    for subgraph in SUBGRAPHS:
        server.spawn(
            subgraph, [*python, "subgraph", subgraph, "--config", str(config)], child_env, root
        )
    for i in range(1, len(SUBGRAPHS) + 1):
        wait_http(server, f"http://127.0.0.1:{port + i}/ready", 600)
    supergraph = root / "supergraph.graphql"
    subprocess.run(
        [sys.executable, "-c", COMPOSE, str(config), str(supergraph)],
        cwd=root,
        env=child_env,
        check=True,
    )
    router = ["router", "--supergraph", str(supergraph), "--port", str(port), "--host", "127.0.0.1"]
    server.spawn("router", [*python, *router], child_env, root)
    wait_http(server, f"http://127.0.0.1:{port}/health", 120)
    server.metrics = {
        "nlu": f"http://127.0.0.1:{port + 1}/metrics",
        "generation": f"http://127.0.0.1:{port + 3}/metrics",
    }
    return server


def start_monolith(root: Path, data: Path, port: int, env: dict[str, str]) -> Server:
    child_env = {
        **env,
        **subgraph_env(),
        "CHORUS_DATA_DIR": str(data),
        "CHORUS_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'chorus.db'}",
    }
    server = Server(
        "monolith", f"http://127.0.0.1:{port}/say", root / "monolith.log", data / "chorus.db"
    )
    server.spawn(
        "monolith", [sys.executable, "-m", "bench.monolith", "--port", str(port)], child_env, REPO
    )
    server.metrics = dict.fromkeys(("nlu", "generation"), f"http://127.0.0.1:{port}/metrics")
    wait_http(server, f"http://127.0.0.1:{port}/ready", 300)
    return server


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def batch_stats(metrics_url: str, model: str) -> tuple[float, float]:
    """(sum, count) of `chorus_model_batch_size` for `model` from a /metrics page."""
    with urllib.request.urlopen(metrics_url, timeout=10) as response:
        text = response.read().decode()
    total = count = 0.0
    for line in text.splitlines():
        if line.startswith("chorus_model_batch_size_") and f'model="{model}"' in line:
            value = float(line.rsplit(" ", 1)[1])
            if line.startswith("chorus_model_batch_size_sum"):
                total += value
            elif line.startswith("chorus_model_batch_size_count"):
                count += value
    return total, count


# ---- driving conversations ------------------------------------------------------------------
@dataclass
class Sent:
    """One message a user sent and what came back."""

    text: str
    conversation: str | None  # None when the first turn of a conversation failed
    index: int  # the index the turn must have in its conversation
    latency_s: float
    error: str | None = None
    turn_id: str | None = None


@dataclass
class RoundResult:
    server: str
    concurrency: int
    seconds: float
    sent: list[Sent]
    cpu: dict[str, float]
    load: float
    batch_mean: dict[str, float]  # requests per forward pass, by model
    client_cpu: float
    steps: dict[str, Any] | None = None  # the monolith's step timers over the round
    rotation: int | None = None  # the round it was played in, in rotation with other stacks

    @property
    def ok(self) -> list[Sent]:
        return [s for s in self.sent if s.error is None]

    @property
    def errors(self) -> int:
        return len(self.sent) - len(self.ok)

    @property
    def rate(self) -> float:
        return len(self.ok) / self.seconds


def body_for(server: str, conversation: str | None, text: str) -> bytes:
    if server != "monolith":  # a router
        return json.dumps({"query": SAY, "variables": {"c": conversation, "t": text}}).encode()
    return json.dumps({"conversationId": conversation, "text": text}).encode()


def check_answer(raw: bytes, conversation: str | None, index: int) -> tuple[str, str]:
    """(conversation id, turn id) of a complete answer; raises ValueError otherwise."""
    body = json.loads(raw)
    if body.get("errors"):
        raise ValueError(f"errors: {body['errors'][0].get('message')}")
    say = (body.get("data") or {}).get("say")
    if not say:
        raise ValueError("no data")
    if conversation is not None and say["conversation"]["id"] != conversation:
        raise ValueError("answer from another conversation")
    if say["index"] != index:
        raise ValueError(f"index {say['index']}, expected {index}")
    if not say["understanding"] or not say["action"] or not say["reply"]:
        raise ValueError("incomplete turn")
    return say["conversation"]["id"], say["id"]


async def virtual_user(
    server: str,
    post: Post,
    done: Callable[[], bool],
    rng: random.Random,
    sent: list[Sent],
    turns: tuple[TakeTurns, int] | None = None,
) -> None:
    """Conversation after conversation until `done()`, one message at a time; with `turns`
    (the rotation and this user's seat), each message waits for this user's turn, and the
    wait is not part of its latency."""
    try:
        while not done():
            script = rng.choice(list(SCRIPTS.values()))
            conversation: str | None = None
            for index, text in enumerate(script(rng)):
                if turns is not None:
                    await turns[0].wait(turns[1])
                if done():
                    return
                began = time.perf_counter()
                record = Sent(text, conversation, index, 0.0)
                try:
                    raw = await post(body_for(server, conversation, text))
                    conversation, record.turn_id = check_answer(raw, conversation, index)
                    record.conversation = conversation
                except (OSError, ValueError, KeyError, TypeError) as error:
                    record.error = f"{type(error).__name__}: {error}"
                record.latency_s = time.perf_counter() - began
                sent.append(record)
                if turns is not None:
                    turns[0].pass_on(turns[1])
                if record.error is not None:
                    break  # the conversation's state is unknown: start another
    finally:
        if turns is not None:
            turns[0].leave(turns[1])


def poster(pool: Any) -> Post:
    """POST a turn on `pool` (a router.subgraph_call ConnectionPool); non-200 is an error."""

    async def post(body: bytes) -> bytes:
        response = await asyncio.wait_for(pool.post(body), 120)
        if response.status != 200:
            raise ValueError(f"HTTP {response.status}")
        return response.body  # type: ignore[no-any-return]

    return post


def deadline(seconds: float) -> Callable[[], bool]:
    loop = asyncio.get_running_loop()
    stop_at = loop.time() + seconds
    return lambda: loop.time() >= stop_at


async def drive(server: Server, concurrency: int, seconds: float, seed: int) -> list[Sent]:
    from router.subgraph_call.http1 import ConnectionPool

    pool = ConnectionPool(server.url, max_connections=concurrency + 4)
    sent: list[Sent] = []
    done = deadline(seconds)
    try:
        await asyncio.gather(
            *(
                virtual_user(server.name, poster(pool), done, random.Random(seed * 1000 + i), sent)
                for i in range(concurrency)
            )
        )
    finally:
        await pool.aclose()
    return sent


async def drive_in_turns(servers: list[Server], seconds: float, seed: int) -> dict[str, list[Sent]]:
    """One user per stack, all playing the same conversations (one seed), their messages in
    rotation (`TakeTurns`): concurrency 1 for each stack, never two turns at once."""
    from router.subgraph_call.http1 import ConnectionPool

    pools = {s.name: ConnectionPool(s.url, max_connections=2) for s in servers}
    sent: dict[str, list[Sent]] = {s.name: [] for s in servers}
    turns = TakeTurns(len(servers))
    done = deadline(seconds)
    try:
        await asyncio.gather(
            *(
                virtual_user(
                    s.name,
                    poster(pools[s.name]),
                    done,
                    random.Random(seed * 1000),
                    sent[s.name],
                    (turns, seat),
                )
                for seat, s in enumerate(servers)
            )
        )
    finally:
        for pool in pools.values():
            await pool.aclose()
    return sent


@dataclass
class Counters:
    """A server's counters read before and after a round."""

    cpu: dict[str, float]
    batches: dict[str, tuple[float, float]]
    steps: dict[str, Any] | None

    @classmethod
    def read(cls, server: Server) -> Counters:
        return cls(server.cpu(), server.batches(), server.steps())


def round_result(
    server: Server,
    concurrency: int,
    seconds: float,
    sent: list[Sent],
    before: Counters,
    after: Counters,
    client_cpu: float,
) -> RoundResult:
    steps = None
    if before.steps and after.steps:
        steps = {
            "turns": after.steps["turns"] - before.steps["turns"],
            "seconds": {
                k: v - before.steps["seconds"][k] for k, v in after.steps["seconds"].items()
            },
            "cpu_seconds": {
                k: v - before.steps["cpu_seconds"][k] for k, v in after.steps["cpu_seconds"].items()
            },
        }
    return RoundResult(
        server=server.name,
        concurrency=concurrency,
        seconds=seconds,
        sent=sent,
        cpu={k: after.cpu[k] - before.cpu[k] for k in after.cpu},
        load=load_average(),
        batch_mean={
            model: (total - before.batches[model][0]) / (count - before.batches[model][1])
            if count > before.batches[model][1]
            else float("nan")
            for model, (total, count) in after.batches.items()
        },
        client_cpu=client_cpu,
        steps=steps,
    )


def run_round(server: Server, concurrency: int, seconds: float, seed: int) -> RoundResult:
    import uvloop

    before = Counters.read(server)
    client_before = time.process_time()
    began = time.perf_counter()
    sent = uvloop.run(drive(server, concurrency, seconds, seed))
    elapsed = time.perf_counter() - began
    client_cpu = time.process_time() - client_before
    return round_result(
        server, concurrency, elapsed, sent, before, Counters.read(server), client_cpu
    )


def run_in_turns(
    servers: list[Server], seconds: float, seed: int, rotation: int = 0
) -> list[RoundResult]:
    """A round at concurrency 1 for every server at once, their messages in rotation. A
    server's round lasts as long as its own turns did (its turns/s: 1 / mean latency); the
    client's CPU is shared out by messages sent."""
    import uvloop

    before = {s.name: Counters.read(s) for s in servers}
    client_before = time.process_time()
    sent = uvloop.run(drive_in_turns(servers, seconds, seed))
    client_cpu = time.process_time() - client_before
    messages = max(1, sum(len(v) for v in sent.values()))
    results = [
        round_result(
            s,
            1,
            sum(m.latency_s for m in sent[s.name]),
            sent[s.name],
            before[s.name],
            Counters.read(s),
            client_cpu * len(sent[s.name]) / messages,
        )
        for s in servers
    ]
    for result in results:
        result.rotation = rotation
    return results


def paired_gap(results: list[RoundResult], a: str, b: str) -> tuple[float, int] | None:
    """(median of a's latency minus b's, pairs) over the messages both stacks sent in the
    same rotation round: the same message of the same conversation, moments apart. Finer
    than the difference of two p50s, which a bimodal latency makes jumpy."""
    diffs = []
    for rotation in sorted({r.rotation for r in results if r.rotation is not None}):
        by = {r.server: r for r in results if r.rotation == rotation}
        if a not in by or b not in by:
            continue
        for x, y in zip(by[a].sent, by[b].sent, strict=False):
            if x.error is None and y.error is None and x.text == y.text:
                diffs.append((x.latency_s - y.latency_s) * 1000)
    return (statistics.median(diffs), len(diffs)) if diffs else None


# ---- lost and duplicated turns --------------------------------------------------------------
@dataclass
class Audit:
    checked: int = 0
    lost: int = 0
    duplicated: int = 0
    unsettled: int = 0
    no_reply: int = 0
    extra: int = 0  # rows in a bench conversation that no answered message accounts for
    examples: list[str] = field(default_factory=list)


def audit(databases: dict[str, Path], results: list[RoundResult]) -> dict[str, Audit]:
    """Every answered turn once in `turns` at its index, settled, with a reply stored."""
    audits: dict[str, Audit] = {}
    for result in results:
        with sqlite3.connect(f"file:{databases[result.server]}?mode=ro", uri=True) as conn:
            a = audits.setdefault(result.server, Audit())
            by_conversation: dict[str, list[Sent]] = {}
            for s in result.sent:
                if s.conversation is not None:
                    by_conversation.setdefault(s.conversation, []).append(s)
            for conversation, turns in by_conversation.items():
                rows = conn.execute(
                    'SELECT id, "index", text, status FROM dialogue_turns '
                    'WHERE conversation_id = ? ORDER BY "index"',
                    (conversation,),
                ).fetchall()
                seen: dict[int, list[tuple[str, str, str]]] = {}
                for turn_id, index, text, status in rows:
                    seen.setdefault(index, []).append((turn_id, text, status))
                accounted = set()
                for s in turns:
                    a.checked += 1
                    found = [r for r in seen.get(s.index, []) if r[1] == s.text]
                    accounted.add(s.index)
                    if not found:
                        if s.error is None:
                            a.lost += 1
                            a.examples.append(f"lost: {conversation} #{s.index} {s.text!r}")
                        continue
                    if len(seen[s.index]) > 1:
                        a.duplicated += 1
                        a.examples.append(f"duplicated: {conversation} #{s.index}")
                    if s.error is None:
                        turn_id, _, status = found[0]
                        if status != "done":
                            a.unsettled += 1
                        reply = conn.execute(
                            "SELECT 1 FROM replies WHERE turn_id = ?", (turn_id,)
                        ).fetchone()
                        if reply is None:
                            a.no_reply += 1
                a.extra += len(set(seen) - accounted)
    return audits


# ---- report ---------------------------------------------------------------------------------
def summarise(results: list[RoundResult]) -> dict[tuple[str, int], dict[str, Any]]:
    cells: dict[tuple[str, int], dict[str, Any]] = {}
    for key in sorted({(r.server, r.concurrency) for r in results}):
        rounds = [r for r in results if (r.server, r.concurrency) == key]
        ok = [s for r in rounds for s in r.ok]
        latencies = [s.latency_s * 1000 for s in ok]
        cpu: dict[str, float] = {}
        for r in rounds:
            for name, seconds in r.cpu.items():
                cpu[name] = cpu.get(name, 0.0) + seconds
        n = max(1, len(ok))
        cells[key] = {
            "rounds": len(rounds),
            "turns": len(ok),
            "seconds": sum(r.seconds for r in rounds),
            "rate": len(ok) / sum(r.seconds for r in rounds),
            "rates": [r.rate for r in rounds],
            "p50": percentile(latencies, 0.5),
            "deciles": [percentile(latencies, q / 10) for q in range(1, 10)],
            "p90": percentile(latencies, 0.9),
            "p99": percentile(latencies, 0.99),
            "errors": sum(r.errors for r in rounds),
            "error_examples": [s.error for r in rounds for s in r.sent if s.error][:3],
            "cpu_ms": {name: seconds * 1000 / n for name, seconds in cpu.items()},
            "client_cpu_ms": sum(r.client_cpu for r in rounds) * 1000 / n,
            "batch": {
                model: statistics.fmean(r.batch_mean[model] for r in rounds)
                for model in rounds[0].batch_mean
            },
            "load": [round(r.load, 1) for r in rounds],
            "step_cpu_ms": step_cpu_ms(rounds) if key[1] == 1 else None,
        }
    return cells


def step_cpu_ms(rounds: list[RoundResult]) -> dict[str, float] | None:
    """The monolith's CPU per turn by step over `rounds` (at c=1 a step's process CPU is the
    step's own: one turn runs at a time), None for the federated stack."""
    steps = [r.steps for r in rounds if r.steps]
    turns = sum(s["turns"] for s in steps)
    if not turns:
        return None
    return {
        name: sum(s["cpu_seconds"][name] for s in steps) * 1000 / turns
        for name in steps[0]["cpu_seconds"]
    }


def render(cells: dict[tuple[str, int], dict[str, Any]], audits: dict[str, Audit]) -> str:
    lines = [
        "| c | stack | turns/s (per round) | p50 ms | p90 ms | p99 ms | CPU ms/turn by process "
        "| batch: NLU, generator | errors | load |",
        "| ---: | --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- |",
    ]
    for (server, c), cell in sorted(cells.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cpu = ", ".join(f"{k} {v:.1f}" for k, v in cell["cpu_ms"].items())
        total = sum(cell["cpu_ms"].values())
        if cell.get("step_cpu_ms"):  # the monolith at c=1: its steps, and the rest
            steps = cell["step_cpu_ms"]
            rest = total - sum(steps.values())
            cpu += " (" + ", ".join(f"{k} {v:.1f}" for k, v in steps.items())
            cpu += f", outside the steps {rest:.1f})"
        rates = "/".join(f"{r:.1f}" for r in cell["rates"])
        lines.append(
            f"| {c} | {server} | {cell['rate']:.1f} ({rates}) | {cell['p50']:.1f} "
            f"| {cell['p90']:.1f} | {cell['p99']:.1f} | {total:.1f} = {cpu} "
            f"| {cell['batch']['nlu']:.1f}, {cell['batch']['generation']:.1f} "
            f"| {cell['errors']} | {cell['load']} |"
        )
    lines.append("")
    for server, a in sorted(audits.items()):
        lines.append(
            f"{server}: {a.checked} turns checked in the database: lost {a.lost}, duplicated "
            f"{a.duplicated}, unsettled {a.unsettled}, without reply {a.no_reply}, "
            f"unaccounted rows {a.extra}"
        )
        lines.extend(f"  {example}" for example in a.examples[:5])
    return "\n".join(lines)


def goals(cells: dict[tuple[str, int], dict[str, Any]], audits: dict[str, Audit]) -> list[str]:
    out = []
    fed, mono = cells.get(("federated", 32)), cells.get(("monolith", 32))
    if fed and mono:
        ratio = fed["rate"] / mono["rate"]
        per_round = "/".join(
            f"{f / m:.2f}" for f, m in zip(fed["rates"], mono["rates"], strict=False)
        )
        out.append(
            f"c=32 throughput federated / monolith = {ratio:.2f} (rounds {per_round}; "
            f"goal >= {GOAL_RATIO}): {'met' if ratio >= GOAL_RATIO else 'MISSED'}"
        )
    fed, mono = cells.get(("federated", 1)), cells.get(("monolith", 1))
    if fed and mono:
        diff = fed["p50"] - mono["p50"]
        out.append(
            f"c=1 p50 federated - monolith = {diff:+.1f} ms ({fed['p50']:.1f} vs "
            f"{mono['p50']:.1f}; goal <= +{GOAL_P50_MS} ms): "
            f"{'met' if diff <= GOAL_P50_MS else 'MISSED'}"
        )
        # A turn's latency is bimodal (template replies, generated ones): the p50 sits at the
        # edge of the fast mode, so the gap at every decile shows whether it is the median's
        deciles = zip(fed["deciles"], mono["deciles"], strict=True)
        gaps = ", ".join(f"{f - m:+.1f}" for f, m in deciles)
        out.append(f"c=1 gap at deciles 10..90 %: {gaps} ms")
    for c in sorted({c for _, c in cells}):
        fed, before = cells.get(("federated", c)), cells.get(("before", c))
        if fed and before:
            out.append(
                f"c={c} this checkout vs --baseline-repo: throughput "
                f"{fed['rate'] / before['rate']:.2f}x, p50 {fed['p50'] - before['p50']:+.1f} ms, "
                f"CPU {sum(fed['cpu_ms'].values()):.1f} vs "
                f"{sum(before['cpu_ms'].values()):.1f} ms/turn"
            )
    fed = cells.get(("federated", 64))
    if fed:
        a = audits.get("federated", Audit())
        clean = fed["errors"] == 0 and a.lost == 0 and a.duplicated == 0
        out.append(
            f"c=64 federated for {fed['seconds']:.0f} s: {fed['errors']} errors, all rounds "
            f"{a.lost} lost / {a.duplicated} duplicated turns (goal 0, 0, 0 for 120 s): "
            + ("MISSED" if not clean else "met" if fed["seconds"] >= 119 else "met (shorter run)")
        )
    return out


# ---- main -----------------------------------------------------------------------------------
@contextmanager
def bench_dir(keep: bool) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="chorus-pipeline-"))
    try:
        yield root
    finally:
        if keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def restart(
    order: list[Server], starters: dict[str, Callable[[], Server]], warmup: float
) -> list[Server]:
    """The stacks stopped and started again, in `order`, and warmed up. Whichever stack is
    started first runs slower at c=1 for as long as it runs (bench/pipeline.md, "Start
    order"), so a c=1 round whose order is not the one they were started in restarts them."""
    for server in reversed(order):
        server.stop()
    fresh = [starters[server.name]() for server in order]
    for server in fresh:
        run_round(server, 8, warmup, seed=0)
    return fresh


def alternate(servers: list[Server], round_no: int) -> list[Server]:
    """A different order each round: forwards, backwards, then rotated."""
    order = servers if round_no % 2 == 0 else servers[::-1]
    shift = (round_no // 2) % len(servers)
    return order[shift:] + order[:shift]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrency", default="1,8,32,64")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per round")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per stack and concurrency")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds at c=8 per stack first")
    parser.add_argument(
        "--port", type=int, default=4080, help="router; subgraphs +1..3, monolith +5"
    )
    parser.add_argument("--models-from", type=Path, help="a data dir with trained models")
    parser.add_argument("--breakdown-turns", type=int, default=60, help="traced turns at c=1")
    parser.add_argument("--stacks", default="federated,monolith")
    parser.add_argument(
        "--baseline-repo",
        type=Path,
        help="also run another checkout's federated stack (`before`, ports +10..13), "
        "interleaved: an A/B of a change in one run",
    )
    parser.add_argument(
        "--restart-c1",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run every c=1 round on stacks started in its order, restarting them when the "
        "order changes (the one started first runs slower)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dir, logs and traces")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    wanted = args.stacks.split(",")
    ports = [args.port + i for i in range(4)] + [args.port + 5]
    if args.baseline_repo is not None:
        ports += [args.port + 10 + i for i in range(4)]
    taken = [p for p in ports if not port_free(p)]
    if taken:
        print(f"ports in use: {taken}", file=sys.stderr)
        return 1
    env = {k: v for k, v in os.environ.items() if k != "CHORUS_DATABASE_URL"}
    env.update({"CHORUS_DIALOGUE_CLOCK_START": CLOCK_START, "PYTHONPATH": str(REPO)})
    env.pop("CHORUS_TRACES_EXPORTER", None)
    with bench_dir(args.keep) as root:
        data = root / "data"
        data.mkdir()
        seeded = seed_models(data, args.models_from)
        print(f"models: {seeded or 'none cached: training them (minutes)'}")
        print(f"load average at start: {os.getloadavg()}")
        servers: list[Server] = []
        results: list[RoundResult] = []
        try:
            starters: dict[str, Callable[[], Server]] = {
                "federated": lambda: start_federated(root, data, args.port, env)
            }
            servers.append(starters["federated"]())
            if seeded is None:
                save_models(data)
            if args.baseline_repo is not None:
                # its own data dir: two stacks must not migrate one database at once
                clone_data(data, root / "before" / "data")
                starters["before"] = lambda: start_federated(
                    root / "before",
                    root / "before" / "data",
                    args.port + 10,
                    env,
                    name="before",
                    checkout=args.baseline_repo.resolve(),
                )
                servers.append(starters["before"]())
            if "monolith" in wanted:
                # Every stack on its own copy of the migrated database: no stack's SQLite
                # file is written by another stack's processes (bench/pipeline.md, session 7).
                clone_data(data, root / "monolith" / "data")
                starters["monolith"] = lambda: start_monolith(
                    root, root / "monolith" / "data", args.port + 5, env
                )
                servers.append(starters["monolith"]())
            servers = [s for s in servers if s.name in wanted or s.name == "before"]
            for server in servers:
                run_round(server, 8, args.warmup, seed=0)
            started = [s.name for s in servers]  # the order they were started in
            for c in concurrencies:
                for round_no in range(args.rounds):
                    order = alternate(servers, round_no)
                    played: Iterable[RoundResult]
                    in_turns: list[RoundResult] | None = None
                    if c == 1 and len(order) > 1:  # one message each in rotation: see TakeTurns
                        if args.restart_c1 and [s.name for s in order] != started:
                            order = restart(order, starters, args.warmup)
                            started = [s.name for s in order]
                            fresh = {s.name: s for s in order}
                            servers = [fresh[s.name] for s in servers]
                        played = in_turns = run_in_turns(
                            order, args.duration * len(order), round_no + 1, round_no
                        )
                    else:
                        played = (run_round(s, c, args.duration, round_no + 1) for s in order)
                    for server, result in zip(order, played, strict=True):
                        results.append(result)
                        p50 = percentile([s.latency_s for s in result.ok], 0.5) * 1000
                        print(
                            f"c={c:<3} {server.name:<10} {result.rate:7.1f} turns/s "
                            f"p50 {p50:7.1f} ms errors {result.errors} load {result.load:.1f}",
                            flush=True,
                        )
                    paired = paired_gap(in_turns or [], "federated", "monolith")
                    if paired is not None:
                        first = f", {started[0]} started first" if args.restart_c1 else ""
                        print(f"c=1   paired federated - monolith {paired[0]:+.2f} ms{first}")
            for server in servers:  # the monolith stays up for the breakdown
                if server.name != "monolith":
                    server.stop()
            audits = audit({s.name: s.db for s in servers}, results)
            cells = summarise(results)
            print("\n" + render(cells, audits))
            print("\n" + "\n".join(goals(cells, audits)))
            for a, b in (("federated", "monolith"), ("federated", "before")):
                paired = paired_gap(results, a, b)
                if paired is not None:
                    print(
                        f"c=1 paired, the same message moments apart: median {a} - {b} = "
                        f"{paired[0]:+.2f} ms over {paired[1]} messages"
                    )
            traced = None
            if args.breakdown_turns > 0 and "federated" in wanted:
                monolith = next((s for s in servers if s.name == "monolith"), None)
                traced = traced_breakdown(root, data, args, env, monolith)
                print("\n" + render_breakdown(traced))
        finally:
            for server in servers:
                server.stop()
        if args.json:
            args.json.write_text(
                json.dumps(
                    {
                        "cells": {f"{s}@{c}": v for (s, c), v in cells.items()},
                        "audits": {k: vars(v) for k, v in audits.items()},
                        "breakdown": traced,
                        "paired_c1_ms": {
                            f"{a}-{b}": paired_gap(results, a, b)
                            for a, b in (("federated", "monolith"), ("federated", "before"))
                        },
                    },
                    indent=1,
                )
            )
        failed = any(a.lost or a.duplicated for a in audits.values())
        return 1 if failed else 0


def traced_breakdown(
    root: Path,
    data: Path,
    args: argparse.Namespace,
    env: dict[str, str],
    monolith: Server | None,
) -> dict[str, Any]:
    """Restart the stack exporting spans and play turns at c=1, alternating halves with
    the monolith (its step timers); fold the spans per turn."""
    import uvloop

    traces = root / "traces"
    traced_env = {**env, "CHORUS_TRACES_EXPORTER": f"jsonl:{traces}"}
    server = start_federated(root / "traced", data, args.port, traced_env)
    played: dict[str, list[Sent]] = {"federated": [], "monolith": []}
    steps: dict[str, Any] = {"turns": 0, "seconds": {}, "cpu_seconds": {}}
    try:
        run_round(server, 1, 3.0, seed=99)  # warm-up, left out below
        time.sleep(0.5)
        skip = {p.name: len(p.read_text().splitlines()) for p in traces.glob("*.jsonl")}
        half = max(1, args.breakdown_turns // 2)
        for seed in (7, 8):
            played["federated"] += uvloop.run(_play_turns(server, half, seed))
            if monolith is not None:
                before = monolith.steps()
                played["monolith"] += uvloop.run(_play_turns(monolith, half, seed))
                after = monolith.steps()
                assert before is not None and after is not None
                steps["turns"] += after["turns"] - before["turns"]
                for key in ("seconds", "cpu_seconds"):
                    for k, v in after.get(key, {}).items():
                        steps[key][k] = steps[key].get(k, 0.0) + v - before[key][k]
        time.sleep(1.0)  # the last spans reach their files
    finally:
        server.stop()
    result = breakdown(traces, skip, turns=sum(1 for s in played["federated"] if s.error is None))
    for name, sent in played.items():
        latencies = [s.latency_s * 1000 for s in sent if s.error is None]
        if latencies:
            result[f"{name}_client_mean_ms"] = statistics.fmean(latencies)
            result[f"{name}_client_p50_ms"] = percentile(latencies, 0.5)
    result["monolith_steps"] = steps if steps["turns"] else None
    result["load"] = round(load_average(), 1)
    return result


async def _play_turns(server: Server, turns: int, seed: int) -> list[Sent]:
    """`turns` messages by one user, conversation after conversation."""
    from router.subgraph_call.http1 import ConnectionPool

    pool = ConnectionPool(server.url, max_connections=2)
    sent: list[Sent] = []

    async def post(body: bytes) -> bytes:
        return (await pool.post(body)).body

    try:
        await virtual_user(server.name, post, lambda: len(sent) >= turns, random.Random(seed), sent)
    finally:
        await pool.aclose()
    return sent


if __name__ == "__main__":
    raise SystemExit(main())
