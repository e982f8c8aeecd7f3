"""What the NLU returns for one utterance (mirrors the GraphQL pipeline contract)."""

from __future__ import annotations

from dataclasses import dataclass

FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True, slots=True)
class ModelRef:
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class IntentScore:
    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class ExtractedEntity:
    """``value`` is normalised (synonyms applied); ``text`` is ``utterance[start:end]``."""

    type: str
    value: str
    text: str
    start: int
    end: int
    confidence: float
    extractor: str


@dataclass(frozen=True, slots=True)
class Understanding:
    text: str
    intent: IntentScore
    ranking: list[IntentScore]
    entities: list[ExtractedEntity]
    fallback: bool
    model: ModelRef
