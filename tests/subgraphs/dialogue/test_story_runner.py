"""The story runner on the concierge's dialogue service, with understandings scripted per message.

What is checked is what `chorus test dialogue` reports: actions per turn (the tail of
what the turn ran), intents, entities, slots, the application's records at the end,
and the figures over a run.
"""

from __future__ import annotations

from pathlib import Path

from subgraphs.dialogue.stories.report import render, summarize
from tests.helpers.stories import story_runner

CLOCK = "2026-12-08T12:00:00+01:00"  # a Tuesday noon in Berlin
SCRIPT = {
    "table for 4 tomorrow at 8pm": (
        "book_table",
        {"party_size": ("4", "4"), "date": "tomorrow", "time": "8pm"},
    ),
    "italian": ("inform", {"cuisine": "italian"}),
    "Okafor": ("inform", {"name": "Okafor"}),
    "hi": ("greet",),
    "cancel it": ("cancel_booking",),
}
BOOKING = f"""
clock: "{CLOCK}"
stories:
  - story: booked then cancelled
    steps:
      - user: "table for 4 tomorrow at 8pm"
        intent: book_table
        entities: [{{party_size: "4"}}, {{date: tomorrow}}, {{time: 8pm}}]
      - action: booking_form
      - action: utter_ask_cuisine
      - slot_was_set: {{party_size: 4, date: 2026-12-09, time: "20:00"}}
      - user: italian
      - action: utter_ask_name
      - user: Okafor
      - action: action_submit_booking
      - action: utter_booking_confirmed
      - user: cancel it
      - action: utter_booking_cancelled
    records:
      bookings:
        - {{name: Okafor, party_size: 4, date: 2026-12-09, time: "20:00", cuisine: italian,
            status: cancelled}}
"""


async def test_a_right_story_passes_with_every_turn(tmp_path: Path) -> None:
    async with story_runner(tmp_path, SCRIPT) as run:
        (result,) = await run(BOOKING)
    assert result.passed, [t.problems() for t in result.turns] + list(result.record_problems)
    assert [t.actions[-1] for t in result.turns] == [
        "utter_ask_cuisine",
        "utter_ask_name",
        "utter_booking_confirmed",
        "utter_booking_cancelled",
    ]
    (booking,) = result.records["bookings"]
    assert booking["status"] == "cancelled" and booking["name"] == "Okafor"
    summary = summarize([result])
    assert summary["conversation_success"] == 1.0 and summary["turn_accuracy"] == 1.0
    assert summary["failures"] == [] and summary["intents"]["accuracy"] == 1.0


async def test_wrong_turns_records_and_figures_are_reported(tmp_path: Path) -> None:
    wrong = BOOKING.replace("booked then cancelled", "expects the wrong things")
    wrong = wrong.replace("- action: utter_ask_name", "- action: utter_ask_time")
    wrong = wrong.replace("status: cancelled", "status: confirmed")
    wrong = wrong.replace("intent: book_table", "intent: inform")
    async with story_runner(tmp_path, SCRIPT) as run:
        good, bad = await run(BOOKING + wrong.split("stories:", 1)[1])
    assert good.passed and not bad.passed
    assert bad.first_failure is not None and bad.first_failure.index == 0  # the intent
    assert bad.first_failure.problems() == ["expected intent inform, understood book_table"]
    second = bad.turns[1]
    assert not second.ok and second.problems() == [
        "expected actions ['utter_ask_time'], the turn ran ['booking_form', 'utter_ask_name']"
    ]
    assert bad.record_problems == (
        "bookings[0]: expected {'status': 'confirmed'}, found {'status': 'cancelled'}",
    )
    summary = summarize([good, bad])
    assert summary["conversation_success"] == 0.5
    assert summary["turn_accuracy"] == 6 / 8
    assert [s["passed"] for s in summary["stories"]] == [True, False]
    (failure,) = summary["failures"]
    assert failure["story"] == "expects the wrong things"
    assert failure["first_wrong_turn"]["turn"] == 1
    assert summary["intents"]["confusion"] == [
        {"expected": "inform", "understood": "book_table", "count": 1}
    ]
    assert any(line.startswith("FAILED expects the wrong things") for line in render(summary))


async def test_entities_are_checked_by_type_and_value_or_text(tmp_path: Path) -> None:
    story = f"""
clock: "{CLOCK}"
stories:
  - story: entities
    steps:
      - user: "table for 4 tomorrow at 8pm"
        entities: [{{party_size: "4"}}, {{date: tomorrow}}, {{time: "9pm"}}]
      - action: utter_ask_cuisine
"""
    async with story_runner(tmp_path, SCRIPT) as run:
        (result,) = await run(story)
    assert result.turns[0].problems() == [
        "expected entities ['party_size=4', 'date=tomorrow', 'time=9pm'], "
        "understood ['party_size=4', 'date=tomorrow', 'time=8pm']"
    ]
    assert summarize([result])["entities"]["exact"] == 0.0


async def test_each_story_runs_at_its_own_clock(tmp_path: Path) -> None:
    story = """
clock: "2026-12-08T12:00:00+01:00"
stories:
  - story: tuesday
    steps:
      - user: "table for 4 tomorrow at 8pm"
      - action: utter_ask_cuisine
      - slot_was_set: {date: 2026-12-09}
  - story: a day later
    clock: "2026-12-09T12:00:00+01:00"
    steps:
      - user: "table for 4 tomorrow at 8pm"
      - action: utter_ask_cuisine
      - slot_was_set: {date: 2026-12-10}
"""
    async with story_runner(tmp_path, SCRIPT) as run:
        results = await run(story)
    assert [r.passed for r in results] == [True, True]
