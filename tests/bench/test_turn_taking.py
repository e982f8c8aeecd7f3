"""At concurrency 1 the pipeline bench's users send in strict rotation: never two messages in
flight, the same conversations for every stack, and the wait for a turn is not latency."""

from __future__ import annotations

import asyncio
import json
import random

import pytest

from bench.pipeline import RoundResult, Sent, paired_gap, virtual_user
from bench.turn_taking import TakeTurns


def test_the_baton_goes_round_and_skips_users_that_left() -> None:
    async def run() -> None:
        turns = TakeTurns(3)
        order = []
        for seat in (0, 1, 2, 0):
            await asyncio.wait_for(turns.wait(seat), 1)
            order.append(seat)
            turns.pass_on(seat)
        turns.leave(2)
        await asyncio.wait_for(turns.wait(1), 1)  # 1 holds it: 0 passed it on
        turns.pass_on(1)
        await asyncio.wait_for(turns.wait(0), 1)  # 2 left: back to 0
        assert order == [0, 1, 2, 0]
        with pytest.raises(RuntimeError):
            turns.pass_on(1)
        turns.leave(0)  # 0 held it: it goes to 1
        await asyncio.wait_for(turns.wait(1), 1)

    asyncio.run(run())


def _answer(conversation: str, index: int) -> bytes:
    say = {
        "id": f"{conversation}-{index}",
        "index": index,
        "conversation": {"id": conversation},
        "understanding": {"intent": {"name": "x"}},
        "action": {"name": "x"},
        "reply": {"text": "x"},
    }
    return json.dumps({"data": {"say": say}}).encode()


async def _two_users_in_rotation(messages: int) -> tuple[list[str], dict[str, list[Sent]]]:
    log: list[str] = []
    in_flight = 0
    sent: dict[str, list[Sent]] = {"federated": [], "monolith": []}

    def post_for(name: str, delay: float):  # type: ignore[no-untyped-def]
        async def post(body: bytes) -> bytes:
            nonlocal in_flight
            in_flight += 1
            assert in_flight == 1, "two messages in flight"
            log.append(name)
            await asyncio.sleep(delay)
            in_flight -= 1
            request = json.loads(body)
            conversation = request.get("conversationId") or request.get("variables", {}).get("c")
            if conversation is None:
                return _answer(f"c{len(sent[name])}", 0)
            return _answer(
                conversation, sum(1 for s in sent[name] if s.conversation == conversation)
            )

        return post

    turns = TakeTurns(2)
    total = lambda: len(sent["federated"]) + len(sent["monolith"])  # noqa: E731
    await asyncio.gather(
        virtual_user(
            "federated",
            post_for("federated", 0.001),
            lambda: total() >= messages,
            random.Random(5),
            sent["federated"],
            (turns, 0),
        ),
        virtual_user(
            "monolith",
            post_for("monolith", 0.02),
            lambda: total() >= messages,
            random.Random(5),
            sent["monolith"],
            (turns, 1),
        ),
    )
    return log, sent


def test_users_in_rotation_alternate_send_the_same_messages_and_time_only_their_own() -> None:
    log, sent = asyncio.run(_two_users_in_rotation(12))
    assert log == ["federated", "monolith"] * 6
    assert [s.text for s in sent["federated"]] == [s.text for s in sent["monolith"]]
    assert not [s.error for s in sent["federated"] + sent["monolith"] if s.error]
    # the fast user waits ~20 ms for its turn each time; none of that is its latency
    assert max(s.latency_s for s in sent["federated"]) < 0.015
    assert min(s.latency_s for s in sent["monolith"]) >= 0.02


def test_the_paired_gap_compares_the_same_message_of_the_same_rotation_round() -> None:
    def played(server: str, rotation: int | None, ms: list[float]) -> RoundResult:
        sent = [Sent(f"m{i}", "c", i, t / 1000) for i, t in enumerate(ms)]
        sent[-1].error = "HTTP 500" if server == "monolith" and rotation == 1 else None
        return RoundResult(server, 1, 1.0, sent, {}, 0.0, {}, 0.0, rotation=rotation)

    results = [
        played("federated", 0, [50, 90, 40]),
        played("monolith", 0, [44, 83, 35]),
        played("federated", 1, [60, 100, 70]),
        played("monolith", 1, [51, 95, 10]),  # its last message failed: not a pair
        played("federated", None, [500]),  # a round at c>1: not in rotation
    ]
    gap = paired_gap(results, "federated", "monolith")
    assert gap is not None
    median, pairs = gap
    assert pairs == 5  # 3 + 2
    assert median == pytest.approx(6.0)  # of 6, 7, 5, 9, 5
    assert paired_gap(results, "federated", "before") is None
