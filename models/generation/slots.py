"""Slot placeholders in two spellings: `{slot}` in domain templates, `[slot]` in delexicalised text.

Templates use `{slot}` (the domain file's format, as in Rasa). The generator is
trained on and emits `[slot]` tokens instead, so a model never has to copy a
value: placeholders are filled after generation, and the guard can count them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

TEMPLATE_SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
DELEX_SLOT = re.compile(r"\[([A-Za-z_][A-Za-z0-9_]*)\]")
NUMBER = re.compile(r"\d+(?:[:.,]\d+)*")

SlotValues = Mapping[str, "str | None"]


def filled(slots: SlotValues) -> dict[str, str]:
    """The slots that carry a value (None and blank strings are unset)."""
    return {k: str(v) for k, v in slots.items() if v is not None and str(v).strip() != ""}


def template_slots(text: str) -> frozenset[str]:
    return frozenset(TEMPLATE_SLOT.findall(text))


def delex_slots(text: str) -> list[str]:
    """Placeholders in order of appearance, repeats kept (the guard counts them)."""
    return DELEX_SLOT.findall(text)


def delexicalise(template: str) -> str:
    """`Table for {party_size}` → `Table for [party_size]`."""
    return TEMPLATE_SLOT.sub(lambda m: f"[{m.group(1)}]", template)


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Replace `{slot}` with its value; unknown slots stay visible rather than vanish."""
    return TEMPLATE_SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def lexicalise(text: str, values: Mapping[str, str]) -> str:
    """Replace `[slot]` with its value; a placeholder without a value stays as is."""
    return DELEX_SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def lexicalise_prefix(text: str, values: Mapping[str, str]) -> str:
    """The part of a growing delexicalised text that can be shown already.

    A trailing `[` that has not been closed may still become a placeholder, so
    the text is cut before it; everything earlier is lexicalised.
    """
    cut = text.rfind("[")
    if cut != -1 and "]" not in text[cut:]:
        text = text[:cut]
    return lexicalise(text, values)


def numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text))
