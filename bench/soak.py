"""Soak benchmark: the whole stack under mixed load for a while; reports memory growth.

    .venv/bin/python -m bench.soak [--minutes 10] [--concurrency 8] [--port 4070]

It starts `chorus dev` on its own ports with its own data dir (training the default
models there on first use, or copying them from --models-from), drives pipeline
mutations, plain queries, turn re-reads and invalid requests at a fixed concurrency,
samples every process's RSS every few seconds, and prints start / peak / end RSS and
the growth over the second half of the run (after warm-up) per process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from chorus.config import load_config

SAY = """mutation($c: ID, $t: String!) { say(conversationId: $c, text: $t) {
  id conversation { id } understanding { intent { name } } action { name } reply { text } } }"""
TEXTS = [
    "hi",
    "book a table for 2 tomorrow at 8pm",
    "italian please",
    "my name is Sam",
    "when do you open",
    "where are you",
    "thanks",
    "cancel my booking",
]


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> dict[str, int]:
    """name -> pid of the router and subgraph processes under `chorus dev`."""
    found: dict[str, int] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as f:
                kids = [int(k) for k in f.read().split()]
        except OSError:
            continue
        for kid in kids:
            try:
                argv = Path(f"/proc/{kid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"router" in argv:
                found["router"] = kid
            elif b"subgraph" in argv:
                found[argv[argv.index(b"subgraph") + 1].decode()] = kid
            frontier.append(kid)
    return found


async def worker(client: httpx.AsyncClient, url: str, stop: float, counts: dict[str, int]) -> None:
    conversation: str | None = None
    rng = random.Random()
    while time.monotonic() < stop:
        kind = rng.choices(["say", "reread", "bad", "query"], weights=[6, 2, 1, 1])[0]
        try:
            if kind == "say":
                r = await client.post(
                    url,
                    json={"query": SAY, "variables": {"c": conversation, "t": rng.choice(TEXTS)}},
                )
                body = r.json()
                if body.get("data") and body["data"].get("say"):
                    conversation = body["data"]["say"]["conversation"]["id"]
            elif kind == "reread" and conversation:
                r = await client.post(
                    url,
                    json={
                        "query": "query($id: ID!) { conversation(id: $id) { turnCount "
                        "turns(last: 3) { action { name } reply { text } } } }",
                        "variables": {"id": conversation},
                    },
                )
            elif kind == "bad":
                r = await client.post(
                    url, content=b"{not json", headers={"content-type": "application/json"}
                )
            else:
                r = await client.post(
                    url, json={"query": '{ understand(text: "hello") { intent { name } } }'}
                )
            counts[f"{r.status_code // 100}xx"] = counts.get(f"{r.status_code // 100}xx", 0) + 1
        except httpx.HTTPError:
            counts["transport_error"] = counts.get("transport_error", 0) + 1


async def drive(url: str, minutes: float, concurrency: int, pid: int, every: float) -> None:
    stop = time.monotonic() + minutes * 60
    counts: dict[str, int] = {}
    samples: dict[str, list[tuple[float, int]]] = {}
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=60) as client:
        tasks = [asyncio.create_task(worker(client, url, stop, counts)) for _ in range(concurrency)]
        while time.monotonic() < stop:
            now = time.monotonic() - started
            for name, child in children(pid).items():
                samples.setdefault(name, []).append((now, rss_kib(child)))
            await asyncio.sleep(every)
        await asyncio.gather(*tasks)
    print(f"\nrequests by outcome: {dict(sorted(counts.items()))}")
    print(
        f"{'process':<12}{'start MiB':>11}{'peak MiB':>10}{'end MiB':>9}{'2nd-half growth MiB':>21}"
    )
    for name, series in sorted(samples.items()):
        values = [v for _, v in series]
        half = [v for t, v in series if t >= (minutes * 60) / 2] or values
        print(
            f"{name:<12}{values[0] / 1024:>11.1f}{max(values) / 1024:>10.1f}"
            f"{values[-1] / 1024:>9.1f}{(half[-1] - half[0]) / 1024:>21.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--port", type=int, default=4070, help="router port; subgraphs use the next 3"
    )
    parser.add_argument("--models-from", type=Path, help="a data dir with trained models to copy")
    parser.add_argument("--sample-every", type=float, default=5.0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="chorus-soak-"))
    data = root / "data"
    if args.models_from:
        shutil.copytree(
            args.models_from, data, ignore=shutil.ignore_patterns("*.db-wal", "*.db-shm")
        )
    config = root / "chorus.yaml"
    repo_config = load_config(Path(__file__).resolve().parent.parent / "chorus.yaml")
    lines = [f"data_dir: {data}", "router:", f"  port: {args.port}", "subgraphs:"]
    for i, name in enumerate(("nlu", "dialogue", "generation"), start=1):
        lines += [
            f"  {name}:",
            f"    app: subgraphs.{name}.app:create_app",
            f"    port: {args.port + i}",
        ]
        env = repo_config.subgraphs[name].env  # the application the subgraphs serve
        if env:
            lines += ["    env:", *(f"      {key}: {value}" for key, value in env.items())]
    config.write_text("\n".join(lines) + "\n")
    log = (root / "stack.log").open("wb")
    env = {k: v for k, v in os.environ.items() if k != "CHORUS_DATABASE_URL"}
    process = subprocess.Popen(
        [sys.executable, "-m", "chorus", "dev", "--config", str(config)],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 1800
        while "Chorus is up" not in (root / "stack.log").read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                print((root / "stack.log").read_text()[-3000:])
                return 1
            time.sleep(1)
        print(f"stack up; soaking for {args.minutes} min at concurrency {args.concurrency}")
        asyncio.run(
            drive(
                f"http://127.0.0.1:{args.port}/graphql",
                args.minutes,
                args.concurrency,
                process.pid,
                args.sample_every,
            )
        )
        return 0
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
