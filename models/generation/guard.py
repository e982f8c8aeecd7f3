"""The slot guard: a generated reply may neither drop nor invent slot values.

What a reply must contain comes from the templates: the slots that every
eligible variant of the action mentions are required, any slot with a value is
allowed, and numbers are allowed only where a slot value or the templates'
own wording contains them ("7pm" generated for a time slot of 19:00 is invented).
A rejected text is never shown; the caller falls back to the template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from models.generation.slots import DELEX_SLOT, TEMPLATE_SLOT, delex_slots, numbers
from models.generation.templates import ResponseTemplates

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Expectation:
    """What a reply to one action with these slot values has to satisfy."""

    required: frozenset[str]
    allowed: frozenset[str]
    literal_numbers: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    missing: tuple[str, ...] = ()
    invented: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.ok:
            return "ok"
        parts = list(self.problems)
        if self.missing:
            parts.append(f"drops {', '.join(self.missing)}")
        if self.invented:
            parts.append(f"invents {', '.join(self.invented)}")
        return "; ".join(parts)


class SlotGuard:
    """Checks generated replies against the slot values of the action they answer."""

    def __init__(self, templates: ResponseTemplates) -> None:
        self.templates = templates

    def expectation(self, action: str, values: Mapping[str, str]) -> Expectation:
        eligible = self.templates.eligible(action, values)
        required: frozenset[str] = frozenset()
        if eligible:
            required = frozenset.intersection(*(t.slots for t in eligible))
        literal: set[str] = set()
        for template in self.templates.variants(action):
            literal |= numbers(TEMPLATE_SLOT.sub(" ", template.text))
        return Expectation(required, frozenset(values), frozenset(literal))

    def check_delexicalised(self, action: str, text: str, values: Mapping[str, str]) -> Verdict:
        """Check a reply written with `[slot]` placeholders, before they are filled."""
        expect = self.expectation(action, values)
        used = set(delex_slots(text))
        missing = sorted(expect.required - used)
        invented = sorted(used - expect.allowed)
        stripped = DELEX_SLOT.sub(" ", text)
        invented += sorted(numbers(stripped) - expect.literal_numbers)
        problems = _shape_problems(text, stripped)
        return _verdict(missing, invented, problems)

    def check_lexicalised(self, action: str, text: str, values: Mapping[str, str]) -> Verdict:
        """Check a reply that spells values out (a model prompted with the values)."""
        expect = self.expectation(action, values)
        haystack = _norm(text)
        missing = sorted(s for s in expect.required if _norm(values[s]) not in haystack)
        allowed_numbers = set(expect.literal_numbers)
        for value in values.values():
            allowed_numbers |= numbers(value)
        invented = sorted(numbers(text) - allowed_numbers)
        problems = _shape_problems(text, text)
        if DELEX_SLOT.search(text) or TEMPLATE_SLOT.search(text):
            problems.append("contains an unfilled placeholder")
        return _verdict(missing, invented, problems)


def _shape_problems(text: str, without_placeholders: str) -> list[str]:
    problems = []
    if not text.strip():
        problems.append("empty")
    if any(c in without_placeholders for c in "[]{}"):
        problems.append("contains a broken placeholder")
    return problems


def _verdict(missing: list[str], invented: list[str], problems: list[str]) -> Verdict:
    ok = not (missing or invented or problems)
    return Verdict(ok, tuple(missing), tuple(invented), tuple(problems))


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text.casefold()).strip()
