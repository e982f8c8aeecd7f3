"""100 concurrent messages to one conversation: none lost, applied in order.

Each message is a `say` followed, after a random delay, by the `_entities`
action fetch the router would send, so the action fetches arrive out of
order. The stored turns must equal what the policy gives when the same
messages are applied one after the other in index order.
"""

from __future__ import annotations

import asyncio
import random
from datetime import datetime
from typing import Any

import pytest

from models.db import create_engine
from subgraphs.dialogue.policy import Policy
from subgraphs.dialogue.tracker import DialogueState, UnderstandingIn
from tests.helpers.apps import concierge_actions, concierge_domain
from tests.helpers.dialogue import START, DialogueClient, dialogue_client, understanding

MESSAGES = 100

# Messages whose outcome depends on what came before (a form starts, fills,
# is interrupted, stops), so applying them out of order changes the results.
SCRIPT: list[tuple[str, dict[str, Any]]] = [
    (t, understanding(t, *a, **e))
    for t, a, e in [
        ("hi there", ("greet",), {}),
        ("a table for 3 please", ("book_table",), {"party_size": "3"}),
        ("make it 8pm", ("inform",), {"time": "8pm"}),
        ("when are you open?", ("ask_hours",), {}),
        ("indian food", ("inform",), {"cuisine": "indian"}),
        ("actually 25 of us", ("inform",), {"party_size": "25"}),
        ("six people", ("inform",), {"party_size": ("six", "6")}),
        ("forget it", ("stop",), {}),
        ("where are you?", ("ask_location",), {}),
        ("blah blah", ("nlu_fallback", 0.2), {"fallback": True}),
        ("at half past 7", ("inform",), {"time": "half past 7"}),
    ]
]


def _message(i: int) -> tuple[str, dict[str, Any]]:
    return SCRIPT[(i * 7) % len(SCRIPT)]


async def _expected(count: int) -> list[tuple[str, dict[str, Any]]]:
    """Actions and slots when the messages are applied one by one, in order."""
    domain = concierge_domain()
    policy = Policy(domain, actions=concierge_actions())
    now = START.astimezone(domain.venue.tz)
    state, out = DialogueState(), []
    for i in range(count):
        text, understood = _message(i)
        outcome = await policy.run(state, UnderstandingIn.model_validate(understood), text, now=now)
        assert not outcome.events  # no booking completes: nothing random in the results
        state = outcome.state
        out.append((outcome.final.name, {k: v for k, v in state.slots.items()}))
    return out


async def _send(
    clients: list[DialogueClient], cid: str, i: int, rng: random.Random
) -> tuple[str, dict[str, Any]]:
    text, understood = _message(i)
    said = await rng.choice(clients).say(text, cid)
    await asyncio.sleep(rng.uniform(0, 0.05))  # NLU time: the fetches overtake each other
    resolved = await rng.choice(clients).action(said["id"], understood)
    return said["id"], resolved


async def _run(clients: list[DialogueClient], seed: int) -> None:
    rng = random.Random(seed)
    first = await clients[0].say("hello")
    cid = first["conversation"]["id"]
    await clients[0].action(first["id"], understanding("hello", "greet"))

    results = await asyncio.gather(*(_send(clients, cid, i, rng) for i in range(MESSAGES)))

    turns = await clients[0].service.store.turns_of(cid)
    assert len(turns) == MESSAGES + 1, "a turn was lost"
    assert [t.index for t in turns] == list(range(MESSAGES + 1))
    assert {t.status for t in turns} == {"done"}, "a turn was skipped or not applied"
    said_ids = {turn_id for turn_id, _ in results}
    assert said_ids == {t.id for t in turns[1:]}

    # Turn i+1 carries message i in say() order, which is not i's order: map by text
    # through each turn's own understanding, then replay in index order.
    replay_state, policy = DialogueState(), clients[0].service.policy
    now = START.astimezone(clients[0].service.domain.venue.tz)
    replay_state = (
        await policy.run(
            replay_state,
            UnderstandingIn.model_validate(understanding("hello", "greet")),
            "hello",
            now=now,
        )
    ).state
    for turn in turns[1:]:
        assert turn.understanding is not None
        outcome = await policy.run(
            replay_state, UnderstandingIn.model_validate(turn.understanding), turn.text, now=now
        )
        replay_state = outcome.state
        assert turn.action is not None
        assert (turn.action.name, turn.slots_after) == (outcome.final.name, outcome.state.slots), (
            f"turn {turn.index} was not applied after turn {turn.index - 1}"
        )
    # What each request got back is what was stored for its turn.
    stored = {t.id: t for t in turns}
    for turn_id, resolved in results:
        assert resolved["action"]["name"] == stored[turn_id].action.name  # type: ignore[union-attr]
    conversation = await clients[0].service.store.conversation(cid)
    assert conversation.applied_index == MESSAGES
    assert conversation.state.slots == turns[-1].slots_after


async def test_the_script_is_order_sensitive() -> None:
    """Sanity check of the test itself: a swap of two messages changes the results."""
    base = await _expected(len(SCRIPT))
    assert len({name for name, _ in base}) > 4
    swapped = SCRIPT[:]
    domain = concierge_domain()
    policy = Policy(domain, actions=concierge_actions())
    now = datetime(2030, 6, 5, 10, tzinfo=domain.venue.tz)
    swapped[1], swapped[2] = swapped[2], swapped[1]
    state, names = DialogueState(), []
    for text, understood in swapped:
        outcome = await policy.run(state, UnderstandingIn.model_validate(understood), text, now=now)
        state = outcome.state
        names.append((outcome.final.name, dict(state.slots)))
    assert names != [(n, s) for n, s in base]


async def test_100_concurrent_messages_are_all_applied_in_order(dialogue_db_url: str) -> None:
    async with dialogue_client(dialogue_db_url) as client:
        await _run([client], seed=1)


@pytest.mark.postgres
async def test_two_replicas_on_one_postgres_apply_in_order(dialogue_pg_url: str) -> None:
    """Two app instances, each with its own engine and in-process signals: say and
    action of one message may hit different replicas, as behind a load balancer."""
    engine_a, engine_b = create_engine(dialogue_pg_url), create_engine(dialogue_pg_url)
    try:
        async with (
            dialogue_client(dialogue_pg_url, engine=engine_a) as a,
            dialogue_client(dialogue_pg_url, engine=engine_b) as b,
        ):
            await _run([a, b], seed=2)
    finally:
        await engine_a.dispose()
        await engine_b.dispose()


async def test_two_replicas_on_one_sqlite_file_apply_in_order(dialogue_sqlite_url: str) -> None:
    engine_a, engine_b = create_engine(dialogue_sqlite_url), create_engine(dialogue_sqlite_url)
    try:
        async with (
            dialogue_client(dialogue_sqlite_url, engine=engine_a) as a,
            dialogue_client(dialogue_sqlite_url, engine=engine_b) as b,
        ):
            await _run([a, b], seed=3)
    finally:
        await engine_a.dispose()
        await engine_b.dispose()
