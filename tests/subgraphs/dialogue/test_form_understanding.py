"""Form-aware understanding: the slot a form asks for conditions how a message is read.

Runs the concierge's domain through the story runner with scripted understandings,
so each case states the NLU's (possibly wrong) reading and what the dialogue makes of it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from subgraphs.dialogue.forms import Message, extract_candidates
from subgraphs.dialogue.slot_values import names_weekday, parse_time
from subgraphs.dialogue.tracker import DialogueState, UnderstandingIn
from tests.helpers.apps import concierge_domain
from tests.helpers.dialogue import understanding
from tests.helpers.stories import story_runner

TUESDAY_NOON = "2026-12-08T12:00:00+01:00"
ASK_TIME = {"table for 4 on friday": ("book_table", {"party_size": "4", "date": "friday"})}
ASK_NAME = {
    "table for 2 tomorrow at 7pm, thai": (
        "book_table",
        {"party_size": "2", "date": "tomorrow", "time": "7pm", "cuisine": "thai"},
    )
}


def story(*steps: str, clock: str = TUESDAY_NOON, records: str = "") -> str:
    lines = "\n".join(f"      {step}" for step in steps)
    return f'clock: "{clock}"\nstories:\n  - story: s\n    steps:\n{lines}\n{records}'


async def check(tmp_path: Path, script: dict, text: str) -> None:
    async with story_runner(tmp_path, script) as run:
        (result,) = await run(text)
    problems = [p for t in result.turns for p in t.problems()] + list(result.record_problems)
    assert result.passed, problems


async def test_a_bare_number_answers_the_time_question(tmp_path: Path) -> None:
    script = {**ASK_TIME, "6": ("inform", {"party_size": "6"})}
    steps = (
        '- user: "table for 4 on friday"',
        "- action: utter_ask_time",
        '- user: "6"',
        "- action: utter_ask_cuisine",
        '- slot_was_set: {time: "18:00", party_size: 4}',
    )
    await check(tmp_path, script, story(*steps))


async def test_a_number_with_more_words_is_the_entity_it_was_read_as(tmp_path: Path) -> None:
    script = {**ASK_TIME, "oh and we are 6": ("inform", {"party_size": "6"})}
    steps = (
        '- user: "table for 4 on friday"',
        "- action: utter_ask_time",
        '- user: "oh and we are 6"',
        "- action: utter_ask_time",
        "- slot_was_set: {time: null, party_size: 6}",
    )
    await check(tmp_path, script, story(*steps))


async def test_a_time_in_words_without_an_entity_answers_the_time_question(
    tmp_path: Path,
) -> None:
    script = {**ASK_TIME, "half past eight": ("inform",), "somewhere quiet": ("nlu_fallback",)}
    steps = (
        '- user: "table for 4 on friday"',
        "- action: utter_ask_time",
        '- user: "somewhere quiet"',
        "- action: utter_default",
        '- user: "half past eight"',
        "- action: utter_ask_cuisine",
        '- slot_was_set: {time: "20:30"}',
    )
    await check(tmp_path, script, story(*steps))


async def test_a_bare_name_answers_the_name_question(tmp_path: Path) -> None:
    script = {**ASK_NAME, "Okafor": ("nlu_fallback",)}
    steps = (
        '- user: "table for 2 tomorrow at 7pm, thai"',
        "- action: utter_ask_name",
        '- user: "Okafor"',
        "- action: utter_booking_confirmed",
    )
    await check(
        tmp_path, script, story(*steps, records="    records: {bookings: [{name: Okafor}]}")
    )


async def test_a_correction_at_the_name_question_is_not_taken_as_the_name(
    tmp_path: Path,
) -> None:
    script = {**ASK_NAME, "wait, 9pm would be better": ("nlu_fallback", {"time": "9pm"})}
    steps = (
        '- user: "table for 2 tomorrow at 7pm, thai"',
        "- action: utter_ask_name",
        '- user: "wait, 9pm would be better"',
        "- action: utter_ask_name",
        '- slot_was_set: {time: "21:00", name: null}',
    )
    await check(tmp_path, script, story(*steps))


async def test_a_correction_read_as_deny_corrects_instead_of_stopping(tmp_path: Path) -> None:
    script = {
        **ASK_TIME,
        "8pm": ("inform", {"time": "8pm"}),
        "no wait, 3": ("deny", {"party_size": "3"}),
    }
    steps = (
        '- user: "table for 4 on friday"',
        "- action: utter_ask_time",
        '- user: "8pm"',
        "- action: utter_ask_cuisine",
        '- user: "no wait, 3"',
        "- action: utter_ask_cuisine",
        "- slot_was_set: {party_size: 3}",
    )
    await check(tmp_path, script, story(*steps))


async def test_a_question_naming_a_day_mid_form_is_answered(tmp_path: Path) -> None:
    script = {
        "table for 2": ("book_table", {"party_size": "2"}),
        "are you open on sunday?": ("ask_hours", {"date": "sunday"}),
    }
    steps = (
        '- user: "table for 2"',
        "- action: utter_ask_date",
        '- user: "are you open on sunday?"',
        "- action: utter_hours",
        "- slot_was_set: {date: null}",
    )
    await check(tmp_path, script, story(*steps))


async def test_goodbye_mid_form_stops_the_form(tmp_path: Path) -> None:
    script = {**ASK_TIME, "ok leave it, bye": ("goodbye",)}
    steps = (
        '- user: "table for 4 on friday"',
        "- action: utter_ask_time",
        '- user: "ok leave it, bye"',
        "- action: action_deactivate_form",
        "- action: utter_booking_aborted",
    )
    await check(tmp_path, script, story(*steps))


async def test_a_change_right_after_booking_changes_it_and_cancel_cancels_it(
    tmp_path: Path,
) -> None:
    script = {
        **ASK_NAME,
        "Okafor": ("inform", {"name": "Okafor"}),
        "make it 8pm": ("inform", {"time": "8pm"}),
        "then cancel it": ("cancel_booking",),
    }
    steps = (
        '- user: "table for 2 tomorrow at 7pm, thai"',
        "- action: utter_ask_name",
        '- user: "Okafor"',
        "- action: utter_booking_confirmed",
        '- user: "make it 8pm"',
        "- action: action_change_booking",
        "- action: utter_booking_changed",
        '- user: "then cancel it"',
        "- action: utter_booking_cancelled",
    )
    records = '    records: {bookings: [{name: Okafor, time: "20:00", status: cancelled}]}'
    await check(tmp_path, script, story(*steps, records=records))


@pytest.mark.parametrize(
    ("clock", "text", "when"),
    [
        ("2026-12-11T21:30:00+01:00", "friday at 8pm", "2026-12-18"),  # asked time has passed
        ("2026-12-11T18:00:00+01:00", "friday at 8pm", "2026-12-11"),  # still ahead today
        ("2026-12-13T20:30:00+01:00", "sunday", "2026-12-20"),  # after the last seating
        ("2026-12-13T12:30:00+01:00", "sunday", "2026-12-13"),
    ],
)
async def test_todays_weekday_means_the_coming_one_once_today_is_past(
    tmp_path: Path, clock: str, text: str, when: str
) -> None:
    entities = {"date": text.split()[0], **({"time": "8pm"} if "8pm" in text else {})}
    nxt = "utter_ask_cuisine" if "8pm" in text else "utter_ask_time"
    script = {f"table {text}": ("book_table", {"party_size": ("table", "2"), **entities})}
    steps = (f'- user: "table {text}"', f"- action: {nxt}", f"- slot_was_set: {{date: {when}}}")
    await check(tmp_path, script, story(*steps, clock=clock))


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ("friday", True),
        ("on Sat", True),
        ("next friday", True),
        ("today", False),
        ("tomorrow", False),
        ("friday the 12th", False),
        ("2026-12-11", False),
        (None, False),
    ],
)
def test_names_weekday(raw: object, named: bool) -> None:
    assert names_weekday(raw) is named


@pytest.mark.parametrize(
    ("said", "at"),
    [
        ("nine thirty", "21:30"),
        ("half seven", "19:30"),
        ("seven forty-five", "19:45"),
        ("eight oh five", "20:05"),
        ("twelve thirty", "12:30"),
        ("half past eight", "20:30"),
    ],
)
def test_times_said_in_words(said: str, at: str) -> None:
    assert parse_time(said).strftime("%H:%M") == at


async def test_a_one_word_value_read_for_a_later_slot_answers_the_asked_one(
    tmp_path: Path,
) -> None:
    script = {
        "table on friday": ("book_table", {"date": "friday"}),
        "ok then 20": ("inform", {"time": "20"}),
    }
    steps = (
        '- user: "table on friday"',
        "- action: utter_ask_party_size",
        '- user: "ok then 20"',
        "- action: utter_ask_time",
        "- slot_was_set: {party_size: 20, time: null}",
    )
    await check(tmp_path, script, story(*steps))


async def test_adjacent_name_entities_make_one_name_and_a_readable_entity_wins(
    tmp_path: Path,
) -> None:
    text = "it's Grace Oyelaran, 3 people"
    grace, oyelaran = text.index("Grace"), text.index("Oyelaran")
    understood = understanding(text, "inform")
    understood["entities"] = [
        {"type": "name", "value": "Grace", "start": grace, "end": grace + 5},
        {"type": "name", "value": "Oyelaran", "start": oyelaran, "end": oyelaran + 8},
        {"type": "party_size", "value": "only", "start": 0, "end": 4},
        {"type": "party_size", "value": "3", "start": text.index("3"), "end": text.index("3") + 1},
    ]
    message = Message("inform", UnderstandingIn.model_validate(understood), text)
    found = extract_candidates(concierge_domain(), DialogueState(), message)
    assert found == {"name": "Grace Oyelaran", "party_size": "3"}


async def test_a_short_answer_to_the_name_question_is_the_name_whatever_its_intent(
    tmp_path: Path,
) -> None:
    script = {
        **ASK_NAME,
        "do you have high chairs for kids?": ("out_of_scope",),
        "Yilmaz": ("goodbye",),
    }
    steps = (
        '- user: "table for 2 tomorrow at 7pm, thai"',
        "- action: utter_ask_name",
        '- user: "do you have high chairs for kids?"',  # a sentence: not a name
        "- action: utter_default",
        '- user: "Yilmaz"',
        "- action: utter_booking_confirmed",
    )
    records = "    records: {bookings: [{name: Yilmaz}]}"
    await check(tmp_path, script, story(*steps, records=records))


async def test_a_short_stop_at_the_name_question_stops(tmp_path: Path) -> None:
    script = {**ASK_NAME, "forget it": ("stop",)}
    steps = (
        '- user: "table for 2 tomorrow at 7pm, thai"',
        "- action: utter_ask_name",
        '- user: "forget it"',
        "- action: utter_booking_aborted",
    )
    await check(tmp_path, script, story(*steps, records="    records: {bookings: []}"))
