"""Template NLG: the domain's `responses:` section, keyed by action, with slot filling.

Reads only that section of the dialogue domain file (generation must not import
the dialogue package). A variant is eligible when every slot it mentions has a
value, so a filled template never shows a hole; among eligible variants the
choice is seeded, which makes a turn's reply reproducible.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from models.generation.slots import delexicalise, fill_template, template_slots


class TemplateError(ValueError):
    """The responses section is malformed; the message names the action."""


@dataclass(frozen=True)
class Template:
    """One variant of an action's response."""

    action: str
    text: str
    slots: frozenset[str]

    @property
    def delexicalised(self) -> str:
        return delexicalise(self.text)

    def fill(self, values: Mapping[str, str]) -> str:
        return fill_template(self.text, values)


@dataclass(frozen=True)
class Rendered:
    text: str
    template: Template


class ResponseTemplates:
    """All response variants of a domain, by action name."""

    def __init__(self, responses: Mapping[str, Iterable[Template]]) -> None:
        self._by_action: dict[str, tuple[Template, ...]] = {
            action: tuple(variants) for action, variants in responses.items()
        }

    @classmethod
    def from_mapping(cls, responses: Mapping[str, Any]) -> ResponseTemplates:
        """Parse `{action: [variant, ...]}`; a variant is a string or a mapping with `text`."""
        if not isinstance(responses, Mapping):
            raise TemplateError("responses must map action names to lists of variants")
        parsed: dict[str, list[Template]] = {}
        for action, variants in responses.items():
            if isinstance(variants, (str, Mapping)):
                variants = [variants]
            if not isinstance(variants, list) or not variants:
                raise TemplateError(f"responses.{action}: expected a non-empty list of variants")
            parsed[str(action)] = [_variant(str(action), v) for v in variants]
        return cls(parsed)

    @classmethod
    def from_domain_file(cls, path: str | Path) -> ResponseTemplates:
        """Read the `responses:` section of a domain YAML file."""
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise TemplateError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(data, Mapping):
            raise TemplateError(f"{path}: the top level must be a mapping")
        return cls.from_mapping(data.get("responses") or {})

    def with_variants(self, extra: ResponseTemplates) -> ResponseTemplates:
        """Add `extra`'s variants to actions this bank already has (others are ignored)."""
        merged: dict[str, list[Template]] = {}
        for action, variants in self._by_action.items():
            seen = {t.text for t in variants}
            merged[action] = list(variants) + [
                t for t in extra.variants(action) if t.text not in seen
            ]
        return ResponseTemplates(merged)

    def __contains__(self, action: object) -> bool:
        return action in self._by_action

    def __len__(self) -> int:
        return len(self._by_action)

    def actions(self) -> list[str]:
        return sorted(self._by_action)

    def variants(self, action: str) -> tuple[Template, ...]:
        return self._by_action.get(action, ())

    def slot_names(self, action: str) -> frozenset[str]:
        """Every slot any variant of `action` mentions."""
        names: set[str] = set()
        for template in self.variants(action):
            names |= template.slots
        return frozenset(names)

    def all_slot_names(self) -> frozenset[str]:
        names: set[str] = set()
        for action in self._by_action:
            names |= self.slot_names(action)
        return frozenset(names)

    def eligible(self, action: str, available: Iterable[str]) -> list[Template]:
        """Variants whose slots all have values."""
        have = set(available)
        return [t for t in self.variants(action) if t.slots <= have]

    def render(self, action: str, values: Mapping[str, str], seed: int = 0) -> Rendered | None:
        """Fill a seeded choice among the eligible variants; None when the action has none.

        When no variant is fully covered, the one missing the fewest slots is used
        and its holes stay visible as `{slot}`, which is a domain bug worth seeing.
        """
        variants = self.variants(action)
        if not variants:
            return None
        pool = (
            self.eligible(action, values)
            or sorted(variants, key=lambda t: len(t.slots - set(values)))[:1]
        )
        chosen = random.Random(seed).choice(pool)
        return Rendered(chosen.fill(values), chosen)

    def digest(self) -> str:
        """Content hash: names the template "model" version and the training data."""
        canonical = {a: [t.text for t in ts] for a, ts in sorted(self._by_action.items())}
        raw = json.dumps(canonical, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(raw).hexdigest()


def _variant(action: str, raw: Any) -> Template:
    if isinstance(raw, Mapping):
        raw = raw.get("text")
    if not isinstance(raw, str) or not raw.strip():
        raise TemplateError(f"responses.{action}: every variant needs non-empty text")
    text = raw.strip()
    return Template(action=action, text=text, slots=template_slots(text))
