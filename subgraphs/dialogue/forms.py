"""Slot extraction and form filling.

A form asks for its required slots one by one. Each turn the values the
message offers (from entity mappings, or the whole text for the slot being
asked for) are converted to the slot's type and validated; a rejected value
is cleared and answered with `utter_invalid_<slot>` so the user can try again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from .domain import Domain, Form, FromEntity, FromText, Slot, SlotValidation
from .slot_values import SlotValueError, coerce_value, names_weekday, strip_lead_in
from .tracker import DialogueState, EntityIn, UnderstandingIn


@dataclass(frozen=True)
class Message:
    """The user's message as the policy sees it."""

    intent: str
    understanding: UnderstandingIn
    text: str


def extract_candidates(
    domain: Domain, state: DialogueState, message: Message, *, today: date | None = None
) -> dict[str, Any]:
    """Raw values the message offers, per slot, before conversion.

    Entity mappings come first (of several entities of a type, the first that reads
    as the slot's type; adjacent ones of a free-text slot together: "Grace" "Okafor").
    A `from_text` mapping applies only to the slot the active form asks for, and only
    when the message reads as that slot's type (a time slot takes "half past eight",
    not "somewhere quiet"): the requested slot conditions how the message is read, as
    Rasa's `from_text` with conditions does. It takes the message when no other slot's
    entity is in it or, for a slot that is not free text, when the message is nothing
    but those entities ("6" answers "at what time?", though the NLU reads a bare
    number as a party size). Likewise a one-word entity for a slot not filled yet that
    reads as the asked slot's type answers the asked slot ("ok then 20" to "how many?").
    """
    day = today or date.today()
    found: dict[str, Any] = {}
    from_entity: dict[str, EntityIn] = {}
    as_text: dict[str, Any] = {}
    requested = state.requested_slot if state.active_form is not None else None
    for slot_name, slot in domain.slots.items():
        for mapping in slot.mappings:
            if mapping.intents is not None and message.intent not in mapping.intents:
                continue
            if message.intent in mapping.not_intents:
                continue
            if isinstance(mapping, FromEntity):
                picked = _entity_value(slot, mapping.entity, message, day)
                if picked is not None:
                    found[slot_name], from_entity[slot_name] = picked
                    break
            elif isinstance(mapping, FromText) and slot_name == requested:
                text = strip_lead_in(message.text)
                if mapping.max_words is not None and len(text.split()) > mapping.max_words:
                    continue
                if text and _readable(slot, text, day):
                    as_text[slot_name] = text
                    break
    if requested in as_text and requested not in found:
        if not found:
            found[requested] = as_text[requested]
        elif domain.slots[requested].type != "text" and _only_entities(message):
            found = {requested: as_text[requested]}
        else:
            claim = _single_word_claim(domain.slots[requested], from_entity, state, message, day)
            if claim is not None:
                del found[claim[0]]
                found[requested] = claim[1]
    return found


def _entity_value(
    slot: Slot, entity_type: str, message: Message, today: date
) -> tuple[Any, EntityIn] | None:
    entities = [
        e
        for e in message.understanding.entities
        if e.type == entity_type and e.value not in (None, "")
    ]
    if not entities:
        return None
    if slot.type == "text":
        first, end = entities[0], entities[0].end
        for entity in entities[1:]:
            gap = message.text[end : entity.start] if end is not None and entity.start else "x"
            if gap.strip() or entity.end is None:
                break
            end = entity.end
        if first.start is not None and end is not None:
            return message.text[first.start : end], first
        return first.value, first
    readable = next((e for e in entities if _readable(slot, e.value, today)), entities[0])
    return readable.value, readable


def _single_word_claim(
    slot: Slot, from_entity: dict[str, EntityIn], state: DialogueState, message: Message, day: date
) -> tuple[str, str] | None:
    """(other slot, word) when a one-word entity for a slot not filled yet reads as the
    asked slot's type: an answer to the question asked, not a value for a later one (a
    filled slot's value is a correction and stays with its slot)."""
    if slot.type == "text":
        return None
    for other, entity in from_entity.items():
        if state.slots.get(other) is not None or entity.start is None or entity.end is None:
            continue
        covered = message.text[entity.start : entity.end]
        if re.fullmatch(r"[\w']+", covered) and _readable(slot, covered, day):
            return other, covered
    return None


def _readable(slot: Slot, text: str, today: date) -> bool:
    try:
        coerce_value(slot, text, today=today)
    except SlotValueError:
        return False
    return True


def _only_entities(message: Message) -> bool:
    """Whether the message says nothing besides its entities (and a lead-in)."""
    text = message.text
    for entity in sorted(message.understanding.entities, key=lambda e: -(e.start or 0)):
        if entity.start is None or entity.end is None:
            return False
        text = text[: entity.start] + " " + text[entity.end :]
    return not re.sub(r"[\W_]+", "", strip_lead_in(text))


class SlotRejected(ValueError):
    """A value failed the form's validation."""


def validate_value(
    domain: Domain,
    slot_name: str,
    value: Any,
    check: SlotValidation | None,
    slots: dict[str, Any],
    now: datetime,
) -> None:
    """Raise SlotRejected when `value` breaks `check` (given the other slots)."""
    slot = domain.slots[slot_name]
    if slot.type == "categorical" and value not in (slot.values or []):
        raise SlotRejected(f"{value!r} is not one of the allowed values")
    if check is None:
        return
    if check.min is not None and value < check.min:
        raise SlotRejected(f"{value} is below {check.min:g}")
    if check.max is not None and value > check.max:
        raise SlotRejected(f"{value} is above {check.max:g}")
    venue, today = domain.venue, now.date()
    if slot.type == "date":
        day = date.fromisoformat(value)
        if check.not_in_past and day < today:
            raise SlotRejected(f"{day} is in the past")
        if check.max_days_ahead is not None and day > today + timedelta(days=check.max_days_ahead):
            raise SlotRejected(f"{day} is more than {check.max_days_ahead} days ahead")
        if check.venue_open and venue.hours_on(day.weekday()) is None:
            raise SlotRejected(f"{venue.name} is closed on {day:%A}s")
    if slot.type == "time" and check.within_opening_hours:
        _check_opening_hours(domain, time.fromisoformat(value), slots, now)


def _check_opening_hours(domain: Domain, at: time, slots: dict[str, Any], now: datetime) -> None:
    venue = domain.venue
    day = _known_date(domain, slots)
    days = [day.weekday()] if day is not None else range(7)
    seating = timedelta(minutes=venue.last_seating_minutes)
    for weekday in days:
        hours = venue.hours_on(weekday)
        if hours is None:
            continue
        last = (datetime.combine(now.date(), hours.closes) - seating).time()
        if hours.opens <= at <= last:
            break
    else:
        raise SlotRejected(f"{at:%H:%M} is outside the opening hours")
    if day == now.date() and at <= now.time():
        raise SlotRejected(f"{at:%H:%M} today has already passed")


def _known_date(domain: Domain, slots: dict[str, Any]) -> date | None:
    for name, slot in domain.slots.items():
        if slot.type == "date" and slots.get(name):
            return date.fromisoformat(slots[name])
    return None


def validations(domain: Domain) -> dict[str, SlotValidation]:
    """Every slot's validation, from whichever form declares it."""
    merged: dict[str, SlotValidation] = {}
    for form in domain.forms.values():
        for slot_name, check in form.validation.items():
            merged.setdefault(slot_name, check)
    return merged


def accept_values(
    domain: Domain,
    candidates: dict[str, Any],
    slots: dict[str, Any],
    names: list[str],
    checks: dict[str, SlotValidation],
    now: datetime,
) -> tuple[dict[str, Any], list[str]]:
    """Convert and validate candidates for `names`; return (accepted, rejected).

    Values are checked in `names` order against `slots` updated with the
    values accepted so far, so a time is checked against a new date.
    """
    accepted: dict[str, Any] = {}
    rejected: list[str] = []
    for name in names:
        if name not in candidates:
            continue
        try:
            value = coerce_value(domain.slots[name], candidates[name], today=now.date())
            if names_weekday(candidates[name]) and value == now.date().isoformat():
                value = _coming_weekday(domain, value, candidates, {**slots, **accepted}, now)
            validate_value(domain, name, value, checks.get(name), {**slots, **accepted}, now)
        except (SlotValueError, SlotRejected):
            rejected.append(name)
        else:
            accepted[name] = value
    return accepted, rejected


def _coming_weekday(
    domain: Domain, today: str, candidates: dict[str, Any], slots: dict[str, Any], now: datetime
) -> str:
    """Today's weekday named ("friday" on a Friday): today while it can still be booked,
    else the same day next week, which is what a person means by it then.

    Today is past when the time the message (or the conversation) gives has passed, or,
    without a time, when the venue's last seating today has.
    """
    venue = domain.venue
    at: time | None = None
    for name, slot in domain.slots.items():
        if slot.type != "time":
            continue
        raw = candidates.get(name, slots.get(name))
        try:
            at = time.fromisoformat(coerce_value(slot, raw, today=now.date()))
        except SlotValueError:
            continue
        break
    if at is None:
        hours = venue.hours_on(now.weekday())
        if hours is None:
            return today
        seating = timedelta(minutes=venue.last_seating_minutes)
        at = (datetime.combine(now.date(), hours.closes) - seating).time()
    if at > now.time():
        return today
    return (now.date() + timedelta(days=7)).isoformat()


def run_form(
    domain: Domain,
    form_name: str,
    state: DialogueState,
    candidates: dict[str, Any],
    now: datetime,
) -> list[str]:
    """Run a form for one turn; mutate `state`; return the actions to run next."""
    form: Form = domain.forms[form_name]
    if state.active_form != form_name:
        # A fresh activation starts from empty slots, not from the last run's values.
        for name in form.required_slots:
            state.slots[name] = None
        state.active_form = form_name
    accepted, rejected = accept_values(
        domain, candidates, state.slots, form.required_slots, form.validation, now
    )
    state.slots.update(accepted)
    # Values accepted earlier may no longer hold (a new date closes the
    # chosen time, or midnight passed): check every filled slot again.
    for name in form.required_slots:
        value = state.slots.get(name)
        if value is None or name in rejected:
            continue
        try:
            validate_value(domain, name, value, form.validation.get(name), state.slots, now)
        except SlotRejected:
            rejected.append(name)
    for name in rejected:
        state.slots[name] = None
    if rejected:
        first = next(n for n in form.required_slots if n in rejected)
        state.requested_slot = first
        invalid = f"utter_invalid_{first}"
        return [invalid if invalid in domain.responses else f"utter_ask_{first}"]
    missing = next((n for n in form.required_slots if state.slots.get(n) is None), None)
    if missing is not None:
        state.requested_slot = missing
        return [f"utter_ask_{missing}"]
    state.active_form = None
    state.requested_slot = None
    return list(form.on_complete)
