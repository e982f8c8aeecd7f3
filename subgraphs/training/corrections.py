"""Corrections of a turn's understanding: the feedback loop's data, kept apart from shipped data.

A correction is a row of `training_corrections` (the training history's 0002): the
turn, its text, the intent and entities a person says it has, what the model had said,
who corrected it and when. Rows are never edited; correcting a turn again adds a row.
As training examples they are deduplicated by sentence (case and spacing aside): the
latest correction of a sentence wins, whichever turn carried it. A job that includes
corrections merges them into a copy of its training file, where they replace shipped
examples of the same sentence (models.nlu.yaml_format.merge_training_yaml); the shipped
file itself is never written.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from models.nlu.examples import Example, Span
from models.nlu.yaml_format import TrainingDataError, format_example, normalise_text
from subgraphs.training.store import metadata, now

training_corrections = sa.Table(
    "training_corrections",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("model", sa.String(128), nullable=False),
    sa.Column("turn_id", sa.String(64), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(128), nullable=False),
    sa.Column("entities", sa.JSON, nullable=False),
    sa.Column("said", sa.JSON),
    sa.Column("corrected_by", sa.String(255), nullable=False),
    sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
)

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class CorrectionError(ValueError):
    """A correction that cannot be recorded; the message says why."""


@dataclass(frozen=True)
class CorrectedEntity:
    type: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Correction:
    id: str
    model: str
    turn_id: str
    text: str
    intent: str
    entities: tuple[CorrectedEntity, ...]
    said: dict[str, Any] | None
    corrected_by: str
    corrected_at: dt.datetime

    @property
    def example(self) -> Example:
        spans = tuple(Span(e.start, e.end, e.type, e.value) for e in self.entities)
        return Example(self.text, self.intent, spans)

    @classmethod
    def of(cls, row: Any) -> Correction:
        at = row.corrected_at
        return cls(
            id=row.id,
            model=row.model,
            turn_id=row.turn_id,
            text=row.text,
            intent=row.intent,
            entities=tuple(CorrectedEntity(**e) for e in row.entities or []),
            said=row.said,
            corrected_by=row.corrected_by,
            corrected_at=at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC),
        )


def checked(
    text: str, intent: str, entities: Sequence[Mapping[str, Any]]
) -> tuple[str, tuple[CorrectedEntity, ...]]:
    """The intent and entities, validated against the turn's text (spans are offsets in it)."""
    intent = intent.strip()
    if not _NAME.match(intent):
        raise CorrectionError(
            f"intent {intent!r} is not a name (letters, digits, _ . -; at most 128)"
        )
    found = []
    for i, entity in enumerate(entities):
        kind, start, end = str(entity["type"]).strip(), int(entity["start"]), int(entity["end"])
        if not _NAME.match(kind):
            raise CorrectionError(f"entities[{i}]: type {kind!r} is not a name")
        if not 0 <= start < end <= len(text):
            raise CorrectionError(
                f"entities[{i}]: start {start} and end {end} are not a span of the turn's "
                f"text ({len(text)} characters: {text!r})"
            )
        value = entity.get("value")
        value = text[start:end] if value is None or not str(value).strip() else str(value)
        found.append(CorrectedEntity(kind, value, start, end))
    found.sort(key=lambda e: e.start)
    for a, b in itertools.pairwise(found):
        if b.start < a.end:
            raise CorrectionError(f"entities {a.type} and {b.type} overlap in {text!r}")
    spans = tuple(Span(e.start, e.end, e.type, e.value) for e in found)
    try:
        format_example(Example(text, intent, spans))
    except TrainingDataError as exc:
        raise CorrectionError(str(exc)) from exc
    return intent, tuple(found)


def latest_per_sentence(corrections: Sequence[Correction]) -> list[Correction]:
    """One correction per sentence, the latest; oldest first (a stable training file)."""
    latest: dict[str, Correction] = {}
    for c in sorted(corrections, key=lambda c: (c.corrected_at, c.id)):
        key = normalise_text(c.text)
        latest.pop(key, None)
        latest[key] = c
    return list(latest.values())


class CorrectionStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def record(
        self,
        model: str,
        turn_id: str,
        text: str,
        intent: str,
        entities: Sequence[CorrectedEntity],
        said: Mapping[str, Any] | None,
        by: str,
    ) -> Correction:
        values = {
            "id": uuid.uuid4().hex,
            "model": model,
            "turn_id": turn_id,
            "text": text,
            "intent": intent,
            "entities": [e.__dict__ for e in entities],
            "said": dict(said) if said is not None else None,
            "corrected_by": by,
            "corrected_at": now(),
        }
        async with self.engine.begin() as conn:
            await conn.execute(training_corrections.insert().values(**values))
        found = await self.list(ids=[values["id"]])
        return found[0]

    async def list(
        self,
        model: str | None = None,
        turn_id: str | None = None,
        limit: int | None = None,
        ids: Sequence[str] = (),
    ) -> list[Correction]:
        """Corrections, newest first."""
        t = training_corrections
        query = sa.select(t).order_by(t.c.corrected_at.desc(), t.c.id.desc())
        if model is not None:
            query = query.where(t.c.model == model)
        if turn_id is not None:
            query = query.where(t.c.turn_id == turn_id)
        if ids:
            query = query.where(t.c.id.in_(list(ids)))
        if limit is not None:
            query = query.limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [Correction.of(r) for r in rows]

    async def examples(self, model: str) -> list[Correction]:
        """The corrections of `model` as training examples: one per sentence, the latest."""
        return latest_per_sentence(await self.list(model=model))
