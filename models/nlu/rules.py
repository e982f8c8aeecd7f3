"""The rule layer: regex patterns, lookup tables and synonyms (as in Rasa).

Rules complement the learned tagger: they catch formats (times, numbers) and
closed vocabularies (cuisines) the model may miss, and synonyms normalise
every entity's value whichever extractor found it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from models.nlu.examples import RegexPattern
from models.nlu.understanding import ExtractedEntity


@dataclass(slots=True)
class RuleLayer:
    synonyms: dict[str, str] = field(default_factory=dict)
    regexes: list[RegexPattern] = field(default_factory=list)
    lookups: dict[str, list[str]] = field(default_factory=dict)
    _compiled: list[tuple[str, re.Pattern[str]]] = field(default_factory=list, repr=False)
    _lookup_res: list[tuple[str, re.Pattern[str]]] = field(default_factory=list, repr=False)
    _canonical: dict[tuple[str, str], str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.synonyms = {k.lower(): v for k, v in self.synonyms.items()}
        self._compiled = [(r.name, re.compile(r.pattern, re.IGNORECASE)) for r in self.regexes]
        self._lookup_res = []
        self._canonical = {
            (name, v.strip().lower()): v.strip() for name, vs in self.lookups.items() for v in vs
        }
        for name, values in self.lookups.items():
            # Longest first so "sri lankan" wins over "sri".
            alts = sorted({v.strip() for v in values if v.strip()}, key=len, reverse=True)
            if alts:
                body = "|".join(re.escape(v) for v in alts)
                self._lookup_res.append((name, re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.I)))

    def normalise(self, text: str, entity_type: str | None = None) -> str:
        """The synonym's value for ``text`` (case-insensitive), else the lookup table's
        spelling for this entity type ("Thai" -> "thai"), else ``text``."""
        key = text.strip().lower()
        if key in self.synonyms:
            return self.synonyms[key]
        return self._canonical.get((entity_type or "", key), text)

    def extract(self, text: str) -> list[ExtractedEntity]:
        """Regex and lookup matches, longest first, without overlaps."""
        found: list[ExtractedEntity] = []
        for name, pattern in self._compiled:
            for m in pattern.finditer(text):
                start, end = m.span("value") if "value" in pattern.groupindex else m.span()
                if start < 0 or end <= start:
                    continue
                found.append(self._entity(text, name, start, end, "regex"))
        for name, pattern in self._lookup_res:
            for m in pattern.finditer(text):
                found.append(self._entity(text, name, m.start(), m.end(), "lookup"))
        found.sort(key=lambda e: (-(e.end - e.start), e.start))
        kept: list[ExtractedEntity] = []
        for ent in found:
            if not any(_overlaps(ent, k) for k in kept):
                kept.append(ent)
        return sorted(kept, key=lambda e: e.start)

    def _entity(
        self, text: str, name: str, start: int, end: int, extractor: str
    ) -> ExtractedEntity:
        covered = text[start:end]
        value = self.normalise(covered, name)
        return ExtractedEntity(name, value, covered, start, end, 1.0, extractor)

    def merge(self, text: str, learned: list[ExtractedEntity]) -> list[ExtractedEntity]:
        """Learned entities (normalised) plus rule entities that overlap none of them."""
        out = [
            ExtractedEntity(
                e.type,
                self.normalise(e.text, e.type),
                e.text,
                e.start,
                e.end,
                e.confidence,
                e.extractor,
            )
            for e in learned
        ]
        out.extend(r for r in self.extract(text) if not any(_overlaps(r, e) for e in out))
        return sorted(out, key=lambda e: (e.start, e.end))

    def to_json(self) -> dict[str, object]:
        return {
            "synonyms": dict(sorted(self.synonyms.items())),
            "regexes": [{"name": r.name, "pattern": r.pattern} for r in self.regexes],
            "lookups": {k: list(v) for k, v in sorted(self.lookups.items())},
        }

    @classmethod
    def from_json(cls, obj: dict[str, object]) -> RuleLayer:
        regexes = [RegexPattern(r["name"], r["pattern"]) for r in obj.get("regexes", [])]  # type: ignore[attr-defined,index]
        return cls(
            synonyms=dict(obj.get("synonyms", {})),  # type: ignore[call-overload]
            regexes=regexes,
            lookups={k: list(v) for k, v in dict(obj.get("lookups", {})).items()},  # type: ignore[call-overload]
        )


def _overlaps(a: ExtractedEntity, b: ExtractedEntity) -> bool:
    return a.start < b.end and b.start < a.end
