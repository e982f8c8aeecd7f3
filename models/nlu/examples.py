"""Training examples: text, intent and character-offset entity spans.

Every reader (the YAML training format, SNIPS folders) produces these, so the
model, the metrics and the rule layer only ever see one shape.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """An annotated entity: ``text[start:end]`` has type ``entity``.

    ``value`` is the normalised value (after synonyms); it equals the covered
    text unless the annotation or a synonym says otherwise.
    """

    start: int
    end: int
    entity: str
    value: str


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True, slots=True)
class RegexPattern:
    """A named pattern; its matches become entities of type ``name``.

    When the pattern has a group named ``value``, the entity covers that group
    only, so ``for (?P<value>\\d+) people`` extracts the number without the
    context words.
    """

    name: str
    pattern: str


@dataclass(slots=True)
class TrainingData:
    """Everything a training file declares."""

    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)
    regexes: list[RegexPattern] = field(default_factory=list)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    @property
    def entity_types(self) -> list[str]:
        return sorted({s.entity for e in self.examples for s in e.spans})

    def content_hash(self) -> str:
        """Stable hash of the data, recorded with each trained model version."""
        payload = {
            "examples": [
                [e.text, e.intent, [[s.start, s.end, s.entity, s.value] for s in e.spans]]
                for e in self.examples
            ],
            "synonyms": sorted(self.synonyms.items()),
            "regexes": [[r.name, r.pattern] for r in self.regexes],
            "lookups": sorted((k, sorted(v)) for k, v in self.lookups.items()),
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()
