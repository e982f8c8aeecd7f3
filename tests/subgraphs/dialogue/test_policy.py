"""The policy alone: rules, form filling with validation, fallback, the action cap.

Inputs are understandings shaped like the NLU's; the clock is fixed at
Wednesday 5 June 2030, 10:00 in the venue's time zone. The domain is the
concierge's, with its custom actions, which write bookings through the turn's
connection: each message is a stored turn of one conversation.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

import migrations
from apps.concierge.bookings import CancelBooking, CreateBooking, UpdateBooking
from models.db import create_engine
from subgraphs.dialogue.domain import Domain, parse_domain
from subgraphs.dialogue.policy import Policy
from subgraphs.dialogue.store import DialogueStore
from subgraphs.dialogue.tracker import DialogueState, TurnOutcome, UnderstandingIn
from tests.helpers.apps import concierge_actions, concierge_domain
from tests.helpers.dialogue import understanding
from tests.helpers.stack_migrations import DIALOGUE


@pytest.fixture(scope="module")
def domain() -> Domain:
    return concierge_domain()


@pytest.fixture(scope="module")
def now(domain: Domain) -> datetime:
    return datetime(2030, 6, 5, 10, 0, tzinfo=domain.venue.tz)


class Chat:
    """Feeds messages to the policy one after another, as the store does.

    Each message is stored as a turn of one conversation, and the policy runs in
    a transaction with the turn's ids, so custom actions can write their rows.
    """

    def __init__(self, store: DialogueStore, now: datetime) -> None:
        self.store, self.policy, self.now = store, store.policy, now
        self.state = DialogueState()
        self.conversation_id: str | None = None

    async def send(
        self, text: str, intent: str, confidence: float = 0.93, **kw: Any
    ) -> TurnOutcome:
        understood = UnderstandingIn.model_validate(understanding(text, intent, confidence, **kw))
        turn = await self.store.say(self.conversation_id, text)
        self.conversation_id = turn.conversation_id
        async with self.store.engine.begin() as conn:
            outcome = await self.policy.run(
                self.state, understood, text, now=self.now, connection=conn,
                conversation_id=turn.conversation_id, turn_id=turn.id,
            )  # fmt: skip
        self.state = outcome.state
        return outcome


@pytest.fixture(scope="module")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("policy") / "migrated.db"
    migrations.upgrade(f"sqlite+aiosqlite:///{path}", owners=DIALOGUE)
    return path


@pytest.fixture
async def chat(
    domain: Domain, now: datetime, migrated_db: Path, tmp_path: Path
) -> AsyncIterator[Chat]:
    """A chat on its own copy of a migrated database (booking ids start at B1 in each)."""
    db = tmp_path / "chat.db"
    shutil.copyfile(migrated_db, db)
    ids = iter(f"B{i}" for i in range(1, 100))
    policy = Policy(domain, actions=concierge_actions(lambda: next(ids)))
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    try:
        yield Chat(DialogueStore(engine, domain, policy), now)
    finally:
        await engine.dispose()


def names(outcome: TurnOutcome) -> list[str]:
    return [a.name for a in outcome.actions]


@pytest.mark.parametrize(
    ("text", "intent", "action"),
    [
        ("hello!", "greet", "utter_greet"),
        ("thanks a lot", "thank", "utter_you_are_welcome"),
        ("when do you open?", "ask_hours", "utter_hours"),
        ("where are you located", "ask_location", "utter_location"),
        ("bye", "goodbye", "utter_goodbye"),
        ("what's the weather", "out_of_scope", "utter_default"),
    ],
)
async def test_rules_map_intents_to_responses(
    chat: Chat, text: str, intent: str, action: str
) -> None:
    outcome = await chat.send(text, intent)
    assert names(outcome) == [action]
    assert outcome.final.active_form is None and not outcome.events


async def test_fallback_flag_and_unknown_intent(chat: Chat) -> None:
    assert names(await chat.send("asdf qwer", "greet", 0.21, fallback=True)) == ["utter_default"]
    assert names(await chat.send("order a pizza", "order_pizza")) == ["utter_default"]


async def test_form_asks_for_each_missing_slot_in_order(chat: Chat) -> None:
    outcome = await chat.send("I'd like to book a table", "book_table")
    assert names(outcome) == ["booking_form", "utter_ask_party_size"]
    assert (outcome.final.active_form, outcome.final.requested_slot) == (
        "booking_form",
        "party_size",
    )
    assert names(await chat.send("4 people", "inform", party_size="4"))[-1] == "utter_ask_date"
    assert names(await chat.send("tomorrow", "inform", date="tomorrow"))[-1] == "utter_ask_time"
    assert names(await chat.send("at 8pm", "inform", time="8pm"))[-1] == "utter_ask_cuisine"
    assert names(await chat.send("french", "inform", cuisine="french"))[-1] == "utter_ask_name"
    done = await chat.send("my name is Ada", "inform")
    assert names(done) == ["booking_form", "action_submit_booking", "utter_booking_confirmed"]
    assert done.events == [
        CreateBooking(
            "B1",
            {
                "name": "Ada",
                "party_size": 4,
                "date": "2030-06-06",
                "time": "20:00",
                "cuisine": "french",
            },
        )
    ]
    assert done.state.slots["booking_id"] == "B1"
    assert done.state.active_form is None and done.state.requested_slot is None


async def test_one_message_can_fill_several_slots(chat: Chat) -> None:
    text = "table for 2 on friday at 7:30pm, indian"
    outcome = await chat.send(
        text, "book_table", party_size="2", date="friday", time="7:30pm", cuisine="indian"
    )
    assert names(outcome) == ["booking_form", "utter_ask_name"]
    assert outcome.state.slots == {
        "party_size": 2,
        "date": "2030-06-07",
        "time": "19:30",
        "cuisine": "indian",
        "name": None,
    }


@pytest.mark.parametrize(
    ("entities", "rejected"),
    [
        ({"party_size": "25"}, "party_size"),
        ({"party_size": "0"}, "party_size"),
        ({"party_size": "lots"}, "party_size"),
        ({"date": "2030-06-01"}, "date"),  # in the past
        ({"date": "2030-12-24"}, "date"),  # more than 90 days ahead
        ({"date": "monday"}, "date"),  # closed on Mondays
        ({"time": "9am"}, "time"),  # before opening
        ({"time": "10:30pm"}, "time"),  # after the last seating (Wednesday closes 22:00)
        ({"cuisine": "klingon"}, "cuisine"),
    ],
)
async def test_invalid_values_are_rejected_and_asked_again(
    chat: Chat, entities: dict[str, str], rejected: str
) -> None:
    text = "book " + " ".join(entities.values())
    outcome = await chat.send(text, "book_table", **entities)
    assert names(outcome) == ["booking_form", f"utter_invalid_{rejected}"]
    assert outcome.state.slots[rejected] is None
    assert outcome.final.requested_slot == rejected
    assert outcome.final.active_form == "booking_form"


async def test_time_is_checked_against_the_chosen_day(chat: Chat) -> None:
    # 21:30 is fine on a Friday (closes 23:00, last seating 22:00).
    ok = await chat.send("friday at 9:30pm", "book_table", date="friday", time="9:30pm")
    assert ok.state.slots["time"] == "21:30"
    # Moving to Sunday (closes 21:00, last seating 20:00) makes 21:30 invalid.
    moved = await chat.send("sunday instead", "inform", date="sunday")
    assert moved.state.slots["date"] == "2030-06-09"
    assert moved.state.slots["time"] is None
    assert names(moved)[-1] == "utter_invalid_time"


async def test_a_time_earlier_today_is_rejected(chat: Chat) -> None:
    outcome = await chat.send("today at noon", "book_table", date="today", time="noon")
    assert outcome.state.slots["time"] == "12:00"  # 10:00 now: noon is still ahead
    chat.now = chat.now.replace(hour=13)
    later = await chat.send("today at noon", "book_table", date="today", time="noon")
    assert names(later)[-1] == "utter_invalid_time"


async def test_interruptions_during_a_form_keep_the_form(chat: Chat) -> None:
    await chat.send("book a table for 2", "book_table", party_size="2")
    outcome = await chat.send("what are your opening hours?", "ask_hours")
    assert names(outcome) == ["utter_hours"]
    assert (outcome.final.active_form, outcome.final.requested_slot) == ("booking_form", "date")
    # An unintelligible message while the form waits for a date: fallback, form kept.
    unclear = await chat.send("hmm", "inform", 0.2, fallback=True)
    assert names(unclear) == ["utter_default"]
    assert unclear.state.active_form == "booking_form"
    # A message that fills the requested slot is the form's, whatever the intent.
    assert names(await chat.send("tomorrow", "greet", date="tomorrow"))[-1] == "utter_ask_time"


async def test_a_new_booking_starts_from_empty_slots(chat: Chat) -> None:
    text = "table for 2 tomorrow at 8pm, italian, for Ada"
    await chat.send(
        text, "book_table", party_size="2", date="tomorrow", time="8pm", cuisine="italian",
        name="Ada",
    )  # fmt: skip
    again = await chat.send("another table for 5 please", "book_table", party_size="5")
    assert names(again) == ["booking_form", "utter_ask_date"]
    assert again.state.slots["party_size"] == 5 and again.state.slots["date"] is None


async def test_stop_leaves_the_form(chat: Chat) -> None:
    await chat.send("book a table", "book_table")
    outcome = await chat.send("forget it", "stop")
    assert names(outcome) == ["action_deactivate_form", "utter_booking_aborted"]
    assert outcome.state.active_form is None and outcome.state.requested_slot is None


async def test_change_and_cancel(chat: Chat) -> None:
    assert names(await chat.send("change my booking", "change_booking")) == [
        "action_change_booking",
        "utter_no_booking_found",
    ]
    text = "table for 2 tomorrow at 8pm, italian, for Ada"
    await chat.send(
        text, "book_table", party_size="2", date="tomorrow", time="8pm", cuisine="italian",
        name="Ada",
    )  # fmt: skip
    assert names(await chat.send("I need to change it", "change_booking"))[-1] == (
        "utter_ask_change_details"
    )
    # The answer to "what would you like to change" is an `inform`: the `after` rule
    # sends it to the change action, not to a new booking form.
    changed = await chat.send("make it 7pm", "inform", time="7pm")
    assert names(changed) == ["action_change_booking", "utter_booking_changed"]
    assert changed.events == [UpdateBooking("B1", {"time": "19:00"})]
    assert changed.state.slots["time"] == "19:00"
    rejected = await chat.send("move it to monday", "change_booking", date="monday")
    assert names(rejected)[-1] == "utter_change_rejected" and not rejected.events
    cancelled = await chat.send("cancel my booking", "cancel_booking")
    assert names(cancelled) == ["action_cancel_booking", "utter_booking_cancelled"]
    assert cancelled.events == [CancelBooking("B1")]
    assert names(await chat.send("cancel it", "cancel_booking"))[-1] == "utter_no_booking_found"


async def test_conditions_on_the_previous_action_and_on_a_running_form(chat: Chat) -> None:
    assert names(await chat.send("no", "deny")) == ["utter_goodbye"]  # no form running
    assert names(await chat.send("yes", "affirm")) == ["utter_how_can_i_help"]
    assert (
        names(await chat.send("change my booking", "change_booking"))[-1]
        == "utter_no_booking_found"
    )
    # "Would you like to book a table?" - "yes": the `after` rule starts the form.
    assert names(await chat.send("yes please", "affirm")) == [
        "booking_form",
        "utter_ask_party_size",
    ]
    stopped = await chat.send("no", "deny")  # a form is running: `form_active: true` rule
    assert names(stopped) == ["action_deactivate_form", "utter_booking_aborted"]
    assert stopped.state.active_form is None


async def test_cancel_during_a_form_stops_it(chat: Chat) -> None:
    await chat.send("book a table", "book_table")
    outcome = await chat.send("cancel", "cancel_booking")
    assert names(outcome)[-1] == "utter_booking_aborted" and not outcome.events
    assert outcome.state.active_form is None


LOOPING_DOMAIN = """
intents: [greet, chain, shrug]
actions: [action_deactivate_form]
rules:
  - {intent: greet, actions: [utter_greet]}
  - {intent: chain, actions: [action_deactivate_form, action_deactivate_form, utter_a, utter_b]}
responses:
  utter_greet: [{text: hi}]
  utter_a: [{text: a}]
  utter_b: [{text: b}]
  utter_default: [{text: sorry}]
"""


async def test_never_more_than_max_actions_per_message(now: datetime) -> None:
    domain = parse_domain(yaml.safe_load(LOOPING_DOMAIN))
    state = DialogueState()
    chain = UnderstandingIn.model_validate(understanding("go", "chain"))
    full = await Policy(domain, max_actions=10).run(state, chain, "go", now=now)
    assert names(full) == [
        "action_deactivate_form",
        "action_deactivate_form",
        "utter_a",
        "utter_b",
    ]
    assert not full.truncated
    capped = await Policy(domain, max_actions=3).run(state, chain, "go", now=now)
    assert names(capped) == ["action_deactivate_form", "action_deactivate_form", "utter_a"]
    assert capped.truncated and capped.state.last_action == "utter_a"
    # A known intent without a rule, and no form running: the fallback action.
    shrug = UnderstandingIn.model_validate(understanding("meh", "shrug"))
    assert names(await Policy(domain).run(state, shrug, "meh", now=now)) == ["utter_default"]
    with pytest.raises(ValueError, match="at least 1"):
        Policy(domain, max_actions=0)


async def test_the_policy_does_not_change_its_input_state(domain: Domain, now: datetime) -> None:
    state = DialogueState(
        slots={"party_size": 2}, active_form="booking_form", requested_slot="date"
    )
    before = (dict(state.slots), state.active_form, state.requested_slot, state.last_action)
    understood = UnderstandingIn.model_validate(
        understanding("tomorrow", "inform", date="tomorrow")
    )
    await Policy(domain, actions=concierge_actions()).run(state, understood, "tomorrow", now=now)
    assert (dict(state.slots), state.active_form, state.requested_slot, state.last_action) == before
