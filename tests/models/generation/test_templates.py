"""Template NLG: reading the domain's responses and filling slots."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.generation.data import load_templates
from models.generation.slots import filled, lexicalise, lexicalise_prefix
from models.generation.templates import ResponseTemplates, TemplateError
from tests.helpers.apps import concierge_file


def test_fills_every_slot_of_the_chosen_variant(fixture_templates: ResponseTemplates) -> None:
    values = {"party_size": "4", "date": "Friday", "time": "19:30", "name": "Ada"}
    texts = {
        fixture_templates.render("utter_confirm_booking", values, seed=s).text  # type: ignore[union-attr]
        for s in range(30)
    }
    assert texts == {
        "Done: a table for 4 on Friday at 19:30, under the name Ada.",
        "Your table for 4 is booked for Friday at 19:30. See you then, Ada!",
        "Booked 4 guests at 19:30 on Friday.",
    }


def test_only_variants_whose_slots_are_all_set_are_eligible(
    fixture_templates: ResponseTemplates,
) -> None:
    # without a name, only the variant that does not mention {name} fits
    values = filled({"party_size": "2", "date": "today", "time": "20:00", "name": None})
    for seed in range(10):
        rendered = fixture_templates.render("utter_confirm_booking", values, seed=seed)
        assert rendered is not None
        assert rendered.text == "Booked 2 guests at 20:00 on today."


def test_the_same_seed_picks_the_same_variant(fixture_templates: ResponseTemplates) -> None:
    first = fixture_templates.render("utter_greet", {}, seed=7)
    again = fixture_templates.render("utter_greet", {}, seed=7)
    assert first is not None and again is not None and first.text == again.text


def test_unknown_action_has_no_template(fixture_templates: ResponseTemplates) -> None:
    assert fixture_templates.render("action_listen", {}) is None


def test_plain_string_and_text_mapping_variants_both_read() -> None:
    bank = ResponseTemplates.from_mapping(
        {"utter_a": ["Hi {name}"], "utter_b": [{"text": "Bye"}], "utter_c": "Solo"}
    )
    assert bank.render("utter_a", {"name": "Bo"}).text == "Hi Bo"  # type: ignore[union-attr]
    assert bank.render("utter_b", {}).text == "Bye"  # type: ignore[union-attr]
    assert bank.slot_names("utter_a") == {"name"}
    assert bank.actions() == ["utter_a", "utter_b", "utter_c"]


@pytest.mark.parametrize(
    "responses",
    [{"utter_a": []}, {"utter_a": [{"image": "x.png"}]}, {"utter_a": ["  "]}, ["not", "a", "map"]],
)
def test_malformed_responses_are_rejected_with_the_action_named(responses: object) -> None:
    with pytest.raises(TemplateError):
        ResponseTemplates.from_mapping(responses)  # type: ignore[arg-type]


def test_the_shipped_domain_and_paraphrases_load() -> None:
    domain = concierge_file("generation", "CHORUS_GENERATION_DOMAIN")
    domain_only = ResponseTemplates.from_domain_file(domain)
    merged = load_templates(domain, concierge_file("generation", "CHORUS_GENERATION_PARAPHRASES"))
    assert "utter_booking_confirmed" in merged
    assert merged.actions() == domain_only.actions()  # paraphrases add no actions
    confirmed = merged.variants("utter_booking_confirmed")
    assert len(confirmed) > len(domain_only.variants("utter_booking_confirmed"))
    # paraphrases use the same slots as the domain's own variant
    assert {t.slots for t in confirmed} == {domain_only.slot_names("utter_booking_confirmed")}


def test_paraphrases_for_unknown_actions_are_ignored(tmp_path: Path) -> None:
    domain = tmp_path / "domain.yml"
    domain.write_text("responses:\n  utter_hi:\n    - text: Hi\n")
    extra = tmp_path / "extra.yml"
    extra.write_text("responses:\n  utter_hi:\n    - Hello\n  utter_other:\n    - Nope\n")
    merged = load_templates(domain, extra)
    assert merged.actions() == ["utter_hi"]
    assert [t.text for t in merged.variants("utter_hi")] == ["Hi", "Hello"]


def test_streaming_lexicalisation_waits_for_a_placeholder_to_close() -> None:
    values = {"time": "19:30"}
    assert lexicalise_prefix("Booked at [ti", values) == "Booked at "
    assert lexicalise_prefix("Booked at [time]", values) == "Booked at 19:30"
    assert lexicalise("At [time], [name]", values) == "At 19:30, [name]"
