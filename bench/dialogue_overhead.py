"""What the dialogue subgraph's GraphQL layer costs a turn, in process, against `DialogueStore`.

    python -m bench.dialogue_overhead                       # 6 alternating rounds of 60 turns
    python -m bench.dialogue_overhead --rounds 10 --turns 100
    python -m bench.dialogue_overhead --profile graphql     # cProfile of the GraphQL side
    python -m bench.dialogue_overhead --callgrind           # instructions per turn (valgrind)

A federated turn asks the dialogue subgraph twice: the router's `say` mutation, then the
`_entities` request resolving `Turn.action` with the NLU's understanding in the
representation (`@requires`). The monolith calls `DialogueStore.say` and
`DialogueStore.resolve_action` instead. This bench plays the same conversations both ways
in one process on one SQLite file and compares CPU time per turn (`time.process_time`:
every thread, aiosqlite's included), so the figure holds on a loaded machine where wall
time does not.

- **graphql**: the subgraph's ASGI app (`subgraphs.dialogue.app.create_app`, the kit's
  lean path and middleware as served) called with the two request bodies the router
  sends for the concierge's `say` (queries copied from its query plan), and a minimal
  ASGI scope. No HTTP server or client: uvicorn's parsing and the router's side are not
  counted.
- **direct**: `store.say`, then `store.resolve_action(turn=)` with the understanding
  validated the way the subgraph does (`UnderstandingIn.model_validate`), as the monolith
  does.

Rounds alternate the two modes; each prints CPU ms per turn, split into the two steps.
`--callgrind` runs each mode in a worker process under valgrind's callgrind instead and
counts instructions per turn (all threads), which other processes' load does not move.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import yaml

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/dialogue_overhead.py` from anywhere
    sys.path.insert(0, str(REPO))

import migrations  # noqa: E402
from bench.asgi_caller import AsgiCaller  # noqa: E402
from subgraphs.dialogue.app import create_app  # noqa: E402
from subgraphs.dialogue.service import DialogueService  # noqa: E402
from subgraphs.dialogue.settings import DialogueSettings  # noqa: E402
from subgraphs.dialogue.tracker import UnderstandingIn  # noqa: E402

# What the router sends the dialogue subgraph for bench/pipeline.py's `say` (its query plan).
SAY = (
    "mutation($c: ID, $t: String!) { say(conversationId: $c, text: $t) "
    "{ id index conversation { id } __typename text } }"
)
ACTION = (
    "query($representations: [_Any!]!) { _entities(representations: $representations) "
    "{ ... on Turn { action { name slots { name value } activeForm requestedSlot } } } }"
)
# graphql: the two requests; direct: the store as the monolith calls it; read: direct plus
# the turn read the `_entities` resolution does before applying the understanding
MODES = ("graphql", "direct", "read")
OWNERS = ("subgraphs.dialogue", "apps.concierge")
CLOCK_START = "2026-12-08T12:00:00+01:00"  # as bench/pipeline.py: "tomorrow" is an open day


def understood(
    text: str, intent: str, confidence: float = 0.93, *, fallback: bool = False, **entities: str
) -> dict[str, Any]:
    """The understanding as the router puts it in the representation (each value in `text`)."""
    found = []
    for kind, value in entities.items():
        start = text.find(value)
        assert start >= 0, (value, text)
        found.append({"type": kind, "value": value, "start": start, "end": start + len(value)})
    return {
        "intent": {"name": intent, "confidence": confidence},
        "entities": found,
        "fallback": fallback,
    }


Script = list[tuple[str, dict[str, Any]]]


def scripts() -> list[Script]:
    """Conversations of bench/conversations.py's kinds: a booking form, FAQ, small talk."""
    booking = [
        ("I want to book a table for 4 people tomorrow", None),
        ("at 7pm please", None),
        ("italian", None),
        ("my name is Ana", None),
        ("thanks", None),
    ]
    booking_understood = [
        understood(booking[0][0], "book_table", party_size="4", date="tomorrow"),
        understood(booking[1][0], "inform", time="7pm"),
        understood(booking[2][0], "inform", cuisine="italian"),
        understood(booking[3][0], "inform", name="Ana"),
        understood(booking[4][0], "thank"),
    ]
    faq = [
        ("hello", understood("hello", "greet")),
        ("when are you open?", understood("when are you open?", "ask_hours")),
        ("where are you?", understood("where are you?", "ask_location")),
        ("do you have parking", understood("do you have parking", "faq", 0.41, fallback=True)),
        ("bye", understood("bye", "goodbye")),
    ]
    return [[(t, u) for (t, _), u in zip(booking, booking_understood, strict=True)], faq]


def cpu_now() -> float:
    """Process CPU seconds, read without `time.process_time` (callgrind's dump marker)."""
    return time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID)


class Bench:
    """One dialogue service on one SQLite file, played both ways."""

    def __init__(self, root: Path) -> None:
        url = f"sqlite+aiosqlite:///{root / 'dialogue.db'}"
        migrations.upgrade(url, owners=OWNERS)
        env = yaml.safe_load((REPO / "chorus.yaml").read_text())["subgraphs"]["dialogue"]["env"]
        values = {k.removeprefix("CHORUS_DIALOGUE_").lower(): str(v) for k, v in env.items()}
        values.update(database_url=url, clock_start=CLOCK_START)
        self.service = DialogueService(DialogueSettings(**values))
        self.caller = AsgiCaller(create_app(service=self.service))
        self.scripts = scripts()
        # CPU seconds of each step, per mode
        self.cpu: dict[str, list[float]] = {mode: [0.0, 0.0] for mode in MODES}

    async def graphql_turn(self, conversation: str | None, text: str, u: dict[str, Any]) -> str:
        cpu = self.cpu["graphql"]
        t0 = cpu_now()
        said = await self.caller.post(
            orjson.dumps({"query": SAY, "variables": {"c": conversation, "t": text}})
        )
        t1 = cpu_now()
        turn = said["data"]["say"]
        representation = {"__typename": "Turn", "id": turn["id"], "understanding": u}
        acted = await self.caller.post(
            orjson.dumps({"query": ACTION, "variables": {"representations": [representation]}})
        )
        t2 = cpu_now()
        cpu[0] += t1 - t0
        cpu[1] += t2 - t1
        assert acted["data"]["_entities"][0]["action"]["name"]
        return str(turn["conversation"]["id"])

    async def direct_turn(
        self, conversation: str | None, text: str, u: dict[str, Any], *, mode: str = "direct"
    ) -> str:
        cpu = self.cpu[mode]
        store = self.service.store
        t0 = cpu_now()
        turn = await store.say(conversation, text)
        t1 = cpu_now()
        if mode == "read":  # what the entity resolution of `Turn.action` does first
            turn = await store.turn(turn.id)
        view = await store.resolve_action(turn.id, UnderstandingIn.model_validate(u), turn=turn)
        t2 = cpu_now()
        cpu[0] += t1 - t0
        cpu[1] += t2 - t1
        assert view.action is not None
        return turn.conversation_id

    async def play(self, mode: str, turns: int) -> None:
        """At least `turns` turns, whole conversations, alternating the scripts."""
        played = 0
        i = 0
        while played < turns:
            conversation: str | None = None
            for text, u in self.scripts[i % len(self.scripts)]:
                if mode == "graphql":
                    conversation = await self.graphql_turn(conversation, text, u)
                else:
                    conversation = await self.direct_turn(conversation, text, u, mode=mode)
                played += 1
            i += 1

    async def round(self, mode: str, turns: int) -> tuple[float, float, float]:
        """CPU ms per turn: (whole turn, say, action)."""
        self.cpu[mode] = [0.0, 0.0]
        gc.collect()
        t0 = cpu_now()
        await self.play(mode, turns)
        whole = cpu_now() - t0
        played = -(-turns // 5) * 5  # whole conversations of five turns
        say, action = self.cpu[mode]
        return whole / played * 1e3, say / played * 1e3, action / played * 1e3


def profile(bench: Bench, mode: str, turns: int, limit: int, sort: str) -> None:
    loop = asyncio.get_event_loop()
    loop.run_until_complete(bench.play(mode, 20))  # warm caches
    profiler = cProfile.Profile()
    profiler.enable()
    loop.run_until_complete(bench.play(mode, turns))
    profiler.disable()
    pstats.Stats(profiler).sort_stats(sort).print_stats(limit)


def worker(mode: str, turns: int, warmup: int) -> None:
    """Play `warmup` then `turns` turns of one mode; the timed part lies between the two
    `time.process_time()` calls (where callgrind dumps its profile parts)."""
    with tempfile.TemporaryDirectory(prefix="chorus-dialogue-overhead-") as tmp:
        bench = Bench(Path(tmp))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(bench.play(mode, warmup))
            gc.collect()
            time.process_time()
            loop.run_until_complete(bench.play(mode, turns))
            time.process_time()
        finally:
            loop.run_until_complete(bench.service.stop())
            loop.close()


def instructions(profile: Path) -> int:
    """The instruction total of a callgrind profile part."""
    for line in profile.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {profile}")


def callgrind(modes: list[str], rounds: int, turns: int, warmup: int) -> None:
    """Instructions per turn of each mode, each round in a fresh worker under callgrind."""
    turns = -(-turns // 5) * 5  # whole conversations
    results: dict[str, list[float]] = {mode: [] for mode in modes}
    with tempfile.TemporaryDirectory(prefix="chorus-dialogue-callgrind-") as tmp:
        for r in range(rounds):
            for mode in modes if r % 2 == 0 else modes[::-1]:
                prefix = Path(tmp) / f"callgrind.{mode}.{r}"
                cmd = [
                    "valgrind", "--tool=callgrind", "--dump-before=time_process_time",
                    f"--callgrind-out-file={prefix}", sys.executable, "-m",
                    "bench.dialogue_overhead", "--worker", mode, "--turns", str(turns),
                    "--warmup", str(warmup),
                ]  # fmt: skip
                env = {**os.environ, "PYTHONHASHSEED": "0"}
                out = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
                if out.returncode != 0:
                    raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
                per_turn = instructions(Path(f"{prefix}.2")) / turns
                results[mode].append(per_turn)
                print(f"round {r}  {mode:7} {per_turn / 1e6:8.2f} M instructions/turn", flush=True)
    median = {mode: statistics.median(values) for mode, values in results.items()}
    base = median.get("direct")
    for mode, value in median.items():
        over = f", {(value - base) / 1e6:+.2f} M over direct" if base and mode != "direct" else ""
        print(f"median {mode:7} {value / 1e6:.2f} M instructions/turn{over}")
    print(f"load average {os.getloadavg()[0]:.2f}")


def timed(
    bench: Bench, loop: asyncio.AbstractEventLoop, modes: list[str], rounds: int, turns: int,
    warmup: int,
) -> None:  # fmt: skip
    """CPU ms per turn of each mode, rounds alternating the order of the modes."""
    for mode in modes:
        loop.run_until_complete(bench.play(mode, warmup))
    results: dict[str, list[tuple[float, float, float]]] = {mode: [] for mode in modes}
    print(f"load average {os.getloadavg()[0]:.2f}; {turns} turns a round")
    print("round  mode     turn ms  say ms  action ms   (CPU per turn)")
    for r in range(rounds):
        for mode in modes if r % 2 == 0 else modes[::-1]:
            figures = loop.run_until_complete(bench.round(mode, turns))
            results[mode].append(figures)
            print(f"{r:5}  {mode:7} {figures[0]:8.2f} {figures[1]:7.2f} {figures[2]:10.2f}")
    median = {m: [statistics.median(c) for c in zip(*v, strict=True)] for m, v in results.items()}
    base = median.get("direct")
    for mode, (turn, say, action) in median.items():
        line = f"median {mode:7} {turn:.2f} ms (say {say:.2f}, action {action:.2f})"
        if base and mode != "direct":
            line += (
                f": {turn - base[0]:+.2f} ms CPU a turn over direct "
                f"(say {say - base[1]:+.2f}, action {action - base[2]:+.2f})"
            )
        print(line)
    print(f"load average {os.getloadavg()[0]:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="rounds per mode (alternating)")
    parser.add_argument("--turns", type=int, default=60, help="turns per round")
    parser.add_argument("--warmup", type=int, default=40, help="turns per mode before timing")
    parser.add_argument(
        "--modes", default="graphql,direct", help=f"comma-separated, of {', '.join(MODES)}"
    )
    parser.add_argument("--profile", choices=MODES, help="cProfile one mode")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (--profile)")
    parser.add_argument("--limit", type=int, default=60, help="rows printed (--profile)")
    parser.add_argument("--callgrind", action="store_true", help="count instructions instead")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown modes {sorted(unknown)}")
    if args.worker:
        worker(args.worker, args.turns, args.warmup)
        return 0
    if args.callgrind:
        callgrind(modes, args.rounds, args.turns, args.warmup)
        return 0

    with tempfile.TemporaryDirectory(prefix="chorus-dialogue-overhead-") as tmp:
        bench = Bench(Path(tmp))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            if args.profile:
                profile(bench, args.profile, args.turns, args.limit, args.sort)
                return 0
            timed(bench, loop, modes, args.rounds, args.turns, args.warmup)
        finally:
            loop.run_until_complete(bench.service.stop())
            loop.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
