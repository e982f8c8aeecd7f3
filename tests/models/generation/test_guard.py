"""The slot guard: generated text that drops or invents slot values is rejected."""

from __future__ import annotations

from models.generation.guard import SlotGuard
from models.generation.templates import ResponseTemplates

BOOKED = {"party_size": "4", "date": "Friday", "time": "19:30", "name": "Ada"}


def test_a_text_with_exactly_the_required_placeholders_passes(
    fixture_templates: ResponseTemplates,
) -> None:
    guard = SlotGuard(fixture_templates)
    verdict = guard.check_delexicalised(
        "utter_confirm_booking", "Table for [party_size] on [date] at [time].", BOOKED
    )
    assert verdict.ok, str(verdict)


def test_dropping_a_slot_every_variant_mentions_is_rejected(
    fixture_templates: ResponseTemplates,
) -> None:
    guard = SlotGuard(fixture_templates)
    verdict = guard.check_delexicalised(
        "utter_confirm_booking", "Table for [party_size] on [date].", BOOKED
    )
    assert not verdict.ok and verdict.missing == ("time",)


def test_a_placeholder_for_a_slot_without_value_is_invented(
    fixture_templates: ResponseTemplates,
) -> None:
    guard = SlotGuard(fixture_templates)
    values = {k: v for k, v in BOOKED.items() if k != "name"}
    verdict = guard.check_delexicalised(
        "utter_confirm_booking", "[party_size] on [date] at [time] for [name].", values
    )
    assert not verdict.ok and verdict.invented == ("name",)


def test_a_number_no_template_or_value_has_is_invented(
    fixture_templates: ResponseTemplates,
) -> None:
    guard = SlotGuard(fixture_templates)
    verdict = guard.check_delexicalised(
        "utter_confirm_booking", "Booked [party_size] guests at [time] on [date], table 7.", BOOKED
    )
    assert not verdict.ok and verdict.invented == ("7",)
    # numbers the template itself states are fine
    hours = guard.check_delexicalised("utter_opening_hours", "Open from 12 to 23 daily.", {})
    assert hours.ok, str(hours)


def test_broken_or_empty_text_is_rejected(fixture_templates: ResponseTemplates) -> None:
    guard = SlotGuard(fixture_templates)
    assert not guard.check_delexicalised("utter_greet", "", {}).ok
    broken = guard.check_delexicalised(
        "utter_cuisine_noted", "Great, [cuis it is.", {"cuisine": "x"}
    )
    assert not broken.ok


def test_lexicalised_text_must_spell_every_required_value(
    fixture_templates: ResponseTemplates,
) -> None:
    guard = SlotGuard(fixture_templates)
    good = guard.check_lexicalised(
        "utter_confirm_booking", "Your table for 4 on friday at 19:30 is booked.", BOOKED
    )
    assert good.ok, str(good)
    dropped = guard.check_lexicalised(
        "utter_confirm_booking", "Your table for 4 on Friday is booked.", BOOKED
    )
    assert not dropped.ok and dropped.missing == ("time",)
    invented = guard.check_lexicalised(
        "utter_confirm_booking", "A table for 4 on Friday at 19:30, or 8pm if you like.", BOOKED
    )
    assert not invented.ok and invented.invented == ("8",)
    placeholder = guard.check_lexicalised(
        "utter_confirm_booking", "A table for 4 on Friday at 19:30 for [name].", BOOKED
    )
    assert not placeholder.ok
