"""NLU evaluation metrics: intent accuracy, conlleval-style slot F1, sentence accuracy.

Slot F1 is span-level exact match: a predicted entity counts only when its
type and both boundaries equal a gold entity, exactly as ``conlleval``
scores chunks (an ``I-`` tag after ``O`` or after another type opens a chunk).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SpanKey = tuple[int, int, str]


def bio_chunks(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """Chunks ``(first, last, type)`` (inclusive indices) of a BIO sequence."""
    chunks: list[tuple[int, int, str]] = []
    start: int | None = None
    kind = ""
    for i, tag in enumerate(tags):
        prefix, _, typ = tag.partition("-")
        begins = prefix == "B" or (prefix == "I" and (start is None or typ != kind))
        if start is not None and (prefix == "O" or begins):
            chunks.append((start, i - 1, kind))
            start = None
        if begins:
            start, kind = i, typ
    if start is not None:
        chunks.append((start, len(tags) - 1, kind))
    return chunks


@dataclass(frozen=True, slots=True)
class PRF:
    precision: float
    recall: float
    f1: float
    support: int

    @classmethod
    def from_counts(cls, tp: int, n_pred: int, n_gold: int) -> PRF:
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gold if n_gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(p, r, f, n_gold)


@dataclass(slots=True)
class NLUReport:
    n: int
    intent_accuracy: float
    slot_precision: float
    slot_recall: float
    slot_f1: float
    sentence_accuracy: float
    per_intent: dict[str, PRF] = field(default_factory=dict)
    per_entity: dict[str, PRF] = field(default_factory=dict)
    confusions: list[tuple[str, str, int]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "intent_accuracy": self.intent_accuracy,
            "slot_precision": self.slot_precision,
            "slot_recall": self.slot_recall,
            "slot_f1": self.slot_f1,
            "sentence_accuracy": self.sentence_accuracy,
            "per_intent": {k: _prf_dict(v) for k, v in self.per_intent.items()},
            "per_entity": {k: _prf_dict(v) for k, v in self.per_entity.items()},
            "confusions": [{"gold": g, "predicted": p, "count": c} for g, p, c in self.confusions],
        }

    def summary(self) -> dict[str, float]:
        """The headline figures (what the registry stores)."""
        return {
            "n": float(self.n),
            "intent_accuracy": self.intent_accuracy,
            "slot_f1": self.slot_f1,
            "sentence_accuracy": self.sentence_accuracy,
        }


def _prf_dict(m: PRF) -> dict[str, float]:
    return {"precision": m.precision, "recall": m.recall, "f1": m.f1, "support": m.support}


def evaluate(
    gold_intents: Sequence[str],
    pred_intents: Sequence[str],
    gold_spans: Sequence[Iterable[SpanKey]],
    pred_spans: Sequence[Iterable[SpanKey]],
) -> NLUReport:
    """Score predictions; spans are ``(start, end, type)`` in any consistent unit."""
    n = len(gold_intents)
    if not n == len(pred_intents) == len(gold_spans) == len(pred_spans):
        raise ValueError("gold and predicted sequences differ in length")
    tp = n_pred = n_gold = correct_intents = correct_sentences = 0
    ent_tp: Counter[str] = Counter()
    ent_pred: Counter[str] = Counter()
    ent_gold: Counter[str] = Counter()
    confusion: Counter[tuple[str, str]] = Counter()
    for gi, pi, gs, ps in zip(gold_intents, pred_intents, gold_spans, pred_spans, strict=True):
        g, p = set(gs), set(ps)
        hits = g & p
        tp, n_pred, n_gold = tp + len(hits), n_pred + len(p), n_gold + len(g)
        ent_tp.update(s[2] for s in hits)
        ent_pred.update(s[2] for s in p)
        ent_gold.update(s[2] for s in g)
        intent_ok = gi == pi
        correct_intents += intent_ok
        correct_sentences += intent_ok and g == p
        confusion[(gi, pi)] += 1
    intents = sorted(set(gold_intents) | set(pred_intents))
    per_intent = {}
    for name in intents:
        itp = confusion[(name, name)]
        ipred = sum(c for (_, p), c in confusion.items() if p == name)
        igold = sum(c for (g, _), c in confusion.items() if g == name)
        per_intent[name] = PRF.from_counts(itp, ipred, igold)
    per_entity = {
        t: PRF.from_counts(ent_tp[t], ent_pred[t], ent_gold[t])
        for t in sorted(set(ent_pred) | set(ent_gold))
    }
    slots = PRF.from_counts(tp, n_pred, n_gold)
    confusions = sorted(
        ((g, p, c) for (g, p), c in confusion.items() if g != p), key=lambda x: (-x[2], x[0], x[1])
    )
    return NLUReport(
        n=n,
        intent_accuracy=correct_intents / n if n else 0.0,
        slot_precision=slots.precision,
        slot_recall=slots.recall,
        # With no gold and no predicted entities at all, slot filling is perfect.
        slot_f1=slots.f1 if n_gold or n_pred else 1.0,
        sentence_accuracy=correct_sentences / n if n else 0.0,
        per_intent=per_intent,
        per_entity=per_entity,
        confusions=confusions,
    )
