"""Scoring a trained model on labelled examples."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from models.nlu.examples import Example
from models.nlu.metrics import NLUReport, evaluate

if TYPE_CHECKING:
    from models.nlu.model import NLUModel


def evaluate_model(model: NLUModel, examples: Sequence[Example], batch_size: int = 64) -> NLUReport:
    """Intent, slot and sentence metrics of ``model`` (with its rule layer) on ``examples``.

    The intent scored is the top of the ranking: the fallback decision is a
    serving policy, not part of what the classifier learned.
    """
    texts = [e.text for e in examples]
    predictions = model.predict(texts, chunk_size=batch_size)
    return evaluate(
        [e.intent for e in examples],
        [p.ranking[0].name for p in predictions],
        [{(s.start, s.end, s.entity) for s in e.spans} for e in examples],
        [{(x.start, x.end, x.type) for x in p.entities} for p in predictions],
    )
