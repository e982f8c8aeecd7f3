"""The dialogue domain: what the assistant understands, remembers and says.

A domain file (YAML) lists intents, entities, typed slots with their mappings
from entities, forms with per-slot validation, responses per action and rules
that map intents to actions. It is validated once at start-up, so a typo
fails loudly there instead of surfacing as a strange reply in production:
unknown keys are rejected and every cross reference (rule actions, slot
mappings, form slots, response placeholders) is checked.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SlotType = Literal["text", "integer", "float", "boolean", "date", "time", "categorical", "any"]
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class DomainError(ValueError):
    """The domain file is missing, unreadable or inconsistent."""


class KnownAction(Protocol):
    """A custom action as the domain check sees it (see actions.RegisteredAction)."""

    @property
    def responses(self) -> tuple[str, ...]: ...


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FromEntity(_Strict):
    """Fill the slot from an entity of this type in the user's message."""

    type: Literal["from_entity"]
    entity: str
    intents: list[str] | None = None
    not_intents: list[str] = []


class FromText(_Strict):
    """Fill the slot with the whole message, only while a form asks for it.

    `max_words` limits the mapping to short messages: a bare answer ("Okafor") is the
    value whatever intent the NLU read into an unknown word, a sentence is not.
    """

    type: Literal["from_text"]
    intents: list[str] | None = None
    not_intents: list[str] = []
    max_words: int | None = Field(default=None, ge=1)


SlotMapping = Annotated[FromEntity | FromText, Field(discriminator="type")]


class Slot(_Strict):
    type: SlotType
    values: list[str] | None = None
    mappings: list[SlotMapping] = []

    @model_validator(mode="after")
    def _values_only_for_categorical(self) -> Slot:
        if self.type == "categorical" and not self.values:
            raise ValueError("a categorical slot needs a non-empty `values` list")
        if self.type != "categorical" and self.values is not None:
            raise ValueError("`values` is only allowed on categorical slots")
        return self


class SlotValidation(_Strict):
    """Checks a form applies to a slot value before accepting it."""

    min: float | None = None
    max: float | None = None
    not_in_past: bool = False
    max_days_ahead: int | None = Field(default=None, ge=0)
    venue_open: bool = False
    within_opening_hours: bool = False


class Form(_Strict):
    required_slots: list[str] = Field(min_length=1)
    validation: dict[str, SlotValidation] = {}
    on_complete: list[str] = []


class Rule(_Strict):
    """When the user's intent is `intent`, run `actions` in order.

    Conditions narrow a rule: `after` (the previous turn ended with this
    action) and `form_active` (true: only while a form runs; false: only
    when none does).
    """

    intent: str
    after: str | None = None
    form_active: bool | None = None
    actions: list[str] = Field(min_length=1)


class ResponseVariant(_Strict):
    text: str = Field(min_length=1)


class OpeningHours(_Strict):
    """One day's hours, written "12:00-22:00" or "closed"."""

    opens: time
    closes: time


class Venue(_Strict):
    name: str = "Chorus"
    timezone: str = "UTC"
    last_seating_minutes: int = Field(default=0, ge=0)
    opening_hours: dict[str, OpeningHours | None] = {}

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown timezone {value!r}") from error
        return value

    @field_validator("opening_hours", mode="before")
    @classmethod
    def _parse_hours(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        parsed: dict[str, Any] = {}
        for day, hours in value.items():
            if str(day).lower() not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}")
            parsed[str(day).lower()] = _parse_day_hours(hours)
        return parsed

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def hours_on(self, weekday: int) -> OpeningHours | None:
        """Hours for a weekday (0 = Monday); None when closed or not listed."""
        return self.opening_hours.get(WEEKDAYS[weekday])


def _parse_day_hours(hours: Any) -> Any:
    if hours is None or (isinstance(hours, str) and hours.strip().lower() == "closed"):
        return None
    if isinstance(hours, str):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", hours)
        if not match:
            raise ValueError(f"opening hours {hours!r} must look like '12:00-22:00' or 'closed'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        opens, closes = time(h1, m1), time(h2, m2)
        if closes <= opens:
            raise ValueError(f"opening hours {hours!r} close before they open")
        return {"opens": opens, "closes": closes}
    return hours


class Domain(_Strict):
    version: str = "1"
    name: str = "domain"
    venue: Venue = Venue()
    intents: list[str] = Field(min_length=1)
    entities: list[str] = []
    slots: dict[str, Slot] = {}
    forms: dict[str, Form] = {}
    actions: list[str] = []
    rules: list[Rule] = []
    fallback_action: str = "utter_default"
    responses: dict[str, list[ResponseVariant]] = {}

    def is_action(self, name: str) -> bool:
        return name in self.responses or name in self.forms or name in self.actions

    def slot_names(self) -> list[str]:
        return list(self.slots)


def _check_references(domain: Domain, custom: Mapping[str, KnownAction]) -> list[str]:
    problems: list[str] = []
    intents, entities = set(domain.intents), set(domain.entities)
    for label, names in (
        ("intent", domain.intents),
        ("entity", domain.entities),
        ("slot", list(domain.slots)),
        ("form", list(domain.forms)),
        ("action", domain.actions),
        ("response", list(domain.responses)),
    ):
        for name in names:
            if not _NAME.match(name):
                problems.append(f"{label} name {name!r} must be an identifier")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            problems.append(f"duplicate {label} names: {', '.join(duplicates)}")

    for name in domain.actions:
        if name not in custom:
            known = ", ".join(sorted(custom)) or "none"
            problems.append(
                f"actions: {name!r} is not a custom action this subgraph runs ({known}); "
                "register it in an application's ActionRegistry"
            )
            continue
        for follow_up in custom[name].responses:
            if follow_up not in domain.responses:
                problems.append(f"actions: {name} needs a response {follow_up!r}")
    for name in domain.responses:
        if name in domain.forms or name in domain.actions:
            problems.append(f"{name!r} is both a response and a form or custom action")

    for slot_name, slot in domain.slots.items():
        for mapping in slot.mappings:
            if isinstance(mapping, FromEntity) and mapping.entity not in entities:
                problems.append(
                    f"slots.{slot_name}: mapping from unknown entity {mapping.entity!r}"
                )
            for intent in [*(mapping.intents or []), *mapping.not_intents]:
                if intent not in intents:
                    problems.append(f"slots.{slot_name}: mapping names unknown intent {intent!r}")

    for form_name, form in domain.forms.items():
        where = f"forms.{form_name}"
        for slot_name in form.required_slots:
            if slot_name not in domain.slots:
                problems.append(f"{where}: required slot {slot_name!r} is not a slot")
            elif f"utter_ask_{slot_name}" not in domain.responses:
                problems.append(f"{where}: missing response 'utter_ask_{slot_name}'")
        for slot_name, check in form.validation.items():
            if slot_name not in form.required_slots:
                problems.append(f"{where}.validation: {slot_name!r} is not a required slot")
                continue
            problems.extend(
                _check_validation(f"{where}.validation.{slot_name}", domain, slot_name, check)
            )
        for action in form.on_complete:
            if not domain.is_action(action):
                problems.append(f"{where}.on_complete: unknown action {action!r}")

    for position, rule in enumerate(domain.rules):
        where = f"rules.{position}"
        if rule.intent not in intents:
            problems.append(f"{where}: unknown intent {rule.intent!r}")
        if rule.after is not None and not domain.is_action(rule.after):
            problems.append(f"{where}: `after` names unknown action {rule.after!r}")
        for action in rule.actions:
            if not domain.is_action(action):
                problems.append(f"{where}: unknown action {action!r}")

    if domain.fallback_action not in domain.responses:
        problems.append(f"fallback_action {domain.fallback_action!r} has no response")

    slot_names = set(domain.slots)
    for name, variants in domain.responses.items():
        if not variants:
            problems.append(f"responses.{name}: needs at least one variant")
        for variant in variants:
            for field in _placeholders(variant.text):
                if field not in slot_names:
                    problems.append(f"responses.{name}: placeholder {{{field}}} is not a slot")
    return problems


def _check_validation(
    where: str, domain: Domain, slot_name: str, check: SlotValidation
) -> list[str]:
    slot_type = domain.slots[slot_name].type
    problems = []
    if (check.min is not None or check.max is not None) and slot_type not in ("integer", "float"):
        problems.append(f"{where}: min/max need an integer or float slot, not {slot_type}")
    if (check.not_in_past or check.max_days_ahead is not None or check.venue_open) and (
        slot_type != "date"
    ):
        problems.append(f"{where}: not_in_past/max_days_ahead/venue_open need a date slot")
    if check.within_opening_hours and slot_type != "time":
        problems.append(f"{where}: within_opening_hours needs a time slot")
    if (check.venue_open or check.within_opening_hours) and not domain.venue.opening_hours:
        problems.append(f"{where}: opening-hours checks need venue.opening_hours")
    if check.min is not None and check.max is not None and check.min > check.max:
        problems.append(f"{where}: min is greater than max")
    return problems


def _placeholders(text: str) -> list[str]:
    try:
        return [field for _, field, _, _ in string.Formatter().parse(text) if field]
    except ValueError as error:
        return [f"<unbalanced braces: {error}>"]


def parse_domain(
    data: Any, *, source: str = "<domain>", actions: Mapping[str, KnownAction] | None = None
) -> Domain:
    """Validate already-parsed YAML data; raise DomainError with every problem.

    `actions` are the custom actions the domain may name (default: the built-in ones).
    """
    if actions is None:
        from .actions import BUILTIN_ACTIONS  # actions.py builds on this module

        actions = BUILTIN_ACTIONS
    if not isinstance(data, dict):
        raise DomainError(f"{source}: the domain must be a mapping at the top level")
    try:
        domain = Domain.model_validate(data)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            location = ".".join(str(part) for part in item["loc"]) or "<top>"
            lines.append(f"{location}: {item['msg']}")
        raise DomainError(_report(source, lines)) from None
    problems = _check_references(domain, actions)
    if problems:
        raise DomainError(_report(source, problems))
    return domain


def _report(source: str, problems: list[str]) -> str:
    return f"{source}: invalid domain\n" + "\n".join(f"  {p}" for p in problems)


def load_domain(path: str | Path, *, actions: Mapping[str, KnownAction] | None = None) -> Domain:
    """Read and validate a domain YAML file (see `parse_domain` for `actions`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise DomainError(f"{path}: cannot read domain file ({error.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise DomainError(f"{path}: not valid YAML ({error})") from None
    return parse_domain(data, source=str(path), actions=actions)
