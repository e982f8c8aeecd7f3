"""The domain file: the shipped concierge loads, and mistakes fail loudly with a location."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from subgraphs.dialogue.actions import BUILTIN_ACTIONS
from subgraphs.dialogue.domain import DomainError, load_domain, parse_domain
from tests.helpers.apps import concierge_actions, concierge_domain_path


@pytest.fixture(scope="module")
def concierge() -> dict[str, Any]:
    return yaml.safe_load(concierge_domain_path().read_text())  # type: ignore[no-any-return]


def _broken(base: dict[str, Any], edit: Any) -> str:
    data = copy.deepcopy(base)
    edit(data)
    with pytest.raises(DomainError) as error:
        parse_domain(data, source="concierge.yml", actions=concierge_actions())
    return str(error.value)


def test_the_shipped_concierge_domain_is_valid() -> None:
    domain = load_domain(concierge_domain_path(), actions=concierge_actions())
    assert domain.forms["booking_form"].required_slots == [
        "party_size",
        "date",
        "time",
        "cuisine",
        "name",
    ]
    assert domain.forms["booking_form"].validation["party_size"].max == 20
    assert domain.slots["party_size"].type == "integer"
    assert domain.slots["party_size"].mappings[0].entity == "party_size"  # type: ignore[union-attr]
    assert domain.venue.hours_on(0) is None  # closed on Mondays
    friday = domain.venue.hours_on(4)
    assert friday is not None and (friday.opens.hour, friday.closes.hour) == (12, 23)
    for intent in ("greet", "ask_hours", "thank", "out_of_scope", "nlu_fallback"):
        assert any(rule.intent == intent for rule in domain.rules), intent
    # Every required slot can be asked for and every rule action exists.
    for slot in domain.forms["booking_form"].required_slots:
        assert f"utter_ask_{slot}" in domain.responses


def test_every_custom_action_the_domain_may_name_is_implemented() -> None:
    domain = load_domain(concierge_domain_path(), actions=concierge_actions())
    assert set(domain.actions) == set(concierge_actions())


def test_without_its_actions_registered_the_domain_does_not_load() -> None:
    with pytest.raises(DomainError, match="'action_submit_booking' is not a custom action"):
        load_domain(concierge_domain_path())  # the built-in actions only
    assert "action_deactivate_form" in BUILTIN_ACTIONS


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda d: d.update(policies={"x": 1}), "policies: Extra inputs are not permitted"),
        (
            lambda d: d["slots"]["party_size"].update(kind="integer"),
            "slots.party_size.kind: Extra inputs are not permitted",
        ),
        (
            lambda d: d["forms"]["booking_form"].update(required=["name"]),
            "forms.booking_form.required: Extra inputs are not permitted",
        ),
        (lambda d: d["slots"]["date"].update(type="datetime"), "slots.date.type"),
        (lambda d: d["slots"]["cuisine"].pop("values"), "categorical slot needs"),
        (
            lambda d: d["slots"]["party_size"]["mappings"].append(
                {"type": "from_entity", "entity": "number"}
            ),
            "mapping from unknown entity 'number'",
        ),
        (
            lambda d: d["rules"].append({"intent": "order_pizza", "actions": ["utter_greet"]}),
            "unknown intent 'order_pizza'",
        ),
        (
            lambda d: d["rules"].append({"intent": "greet", "actions": ["utter_hello"]}),
            "unknown action 'utter_hello'",
        ),
        (
            lambda d: d["rules"].append({"intent": "greet", "actions": []}),
            "actions: List should have at least 1 item",
        ),
        (
            lambda d: d["responses"].pop("utter_ask_cuisine"),
            "forms.booking_form: missing response 'utter_ask_cuisine'",
        ),
        (
            lambda d: d["forms"]["booking_form"]["validation"].update(cuisine={"min": 1}),
            "min/max need an integer or float slot, not categorical",
        ),
        (
            lambda d: d["forms"]["booking_form"]["validation"].update(
                party_size={"min": 5, "max": 2}
            ),
            "min is greater than max",
        ),
        (
            lambda d: d["forms"]["booking_form"]["validation"]["party_size"].update(at_most=3),
            "party_size.at_most: Extra inputs are not permitted",
        ),
        (
            lambda d: d["responses"]["utter_greet"].append({"text": "Hi {guest}!"}),
            "placeholder {guest} is not a slot",
        ),
        (
            lambda d: d["venue"]["opening_hours"].update(friday="9pm till late"),
            "must look like '12:00-22:00'",
        ),
        (
            lambda d: d["venue"]["opening_hours"].update(friday="22:00-12:00"),
            "close before they open",
        ),
        (lambda d: d["venue"].update(timezone="Mars/Olympus"), "unknown timezone 'Mars/Olympus'"),
        (lambda d: d["actions"].append("action_order_taxi"), "'action_order_taxi' is not a custom"),
        (
            lambda d: d["responses"].pop("utter_no_booking_found"),
            "action_change_booking needs a response 'utter_no_booking_found'",
        ),
        (lambda d: d.update(fallback_action="utter_shrug"), "fallback_action 'utter_shrug'"),
        (lambda d: d["intents"].append("greet"), "duplicate intent names: greet"),
    ],
)
def test_mistakes_are_reported_with_their_location(
    concierge: dict[str, Any], edit: Any, expected: str
) -> None:
    message = _broken(concierge, edit)
    assert message.startswith("concierge.yml: invalid domain")
    assert expected in message


def test_several_mistakes_are_reported_together(concierge: dict[str, Any]) -> None:
    def edit(d: dict[str, Any]) -> None:
        d["rules"].append({"intent": "order_pizza", "actions": ["utter_hello"]})

    message = _broken(concierge, edit)
    assert "unknown intent 'order_pizza'" in message and "unknown action 'utter_hello'" in message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(DomainError, match="cannot read domain file"):
        load_domain(tmp_path / "missing.yml")
    bad = tmp_path / "bad.yml"
    bad.write_text("intents: [greet\n")
    with pytest.raises(DomainError, match="not valid YAML"):
        load_domain(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(DomainError, match="must be a mapping"):
        load_domain(bad)


def test_a_minimal_domain_needs_little(tmp_path: Path) -> None:
    path = tmp_path / "echo.yml"
    path.write_text(
        "intents: [greet]\n"
        "rules: [{intent: greet, actions: [utter_greet]}]\n"
        "responses:\n"
        "  utter_greet: [{text: hi}]\n"
        "  utter_default: [{text: sorry}]\n"
    )
    domain = load_domain(path)
    assert domain.fallback_action == "utter_default" and domain.slots == {}
