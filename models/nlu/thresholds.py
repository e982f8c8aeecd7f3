"""Choosing the fallback threshold on a validation split.

Below the threshold the NLU answers `nlu_fallback` instead of its top intent, and
the assistant asks again instead of acting. That is right when the top intent was
wrong and costly when it was right, so the threshold is the one that maximises
(right answers kept) + (wrong answers turned into fallbacks) on held-out examples
the model did not train on. Where several thresholds score the same (a clean
split has few wrong answers), the middle of the best range is taken, away from
both the lowest right answer and the highest wrong one. The grid stops at 0.7: a
validation split of a few dozen examples cannot tell 0.8 from 0.9, and above 0.7
the moderately sure right answers that phrasings unlike the training data get
would turn into fallbacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

GRID = tuple(round(0.05 * i, 2) for i in range(1, 15))  # 0.05 .. 0.70


@dataclass(frozen=True, slots=True)
class ThresholdChoice:
    threshold: float
    kept_right: int  # right answers above the threshold
    caught_wrong: int  # wrong answers below it (turned into fallbacks)
    n: int

    def as_dict(self) -> dict[str, float]:
        return {
            "threshold": self.threshold,
            "kept_right": self.kept_right,
            "caught_wrong": self.caught_wrong,
            "n": self.n,
        }


def choose_fallback_threshold(
    confidences: Sequence[float],
    margins: Sequence[float],
    right: Sequence[bool],
    *,
    ambiguity: float,
    grid: Sequence[float] = GRID,
) -> ThresholdChoice:
    """The threshold with the best (kept right + caught wrong) on a validation split.

    `confidences` are the top intent's, `margins` the gap to the second, `right`
    whether the top intent was the gold one; an answer falls back when its
    confidence is below the threshold or its margin below `ambiguity` (fixed).
    """
    if not (len(confidences) == len(margins) == len(right)):
        raise ValueError("confidences, margins and right must have the same length")
    if not grid:
        raise ValueError("the threshold grid is empty")
    scored = []
    for threshold in grid:
        kept = caught = 0
        for confidence, margin, ok in zip(confidences, margins, right, strict=True):
            falls_back = confidence < threshold or margin < ambiguity
            kept += ok and not falls_back
            caught += (not ok) and falls_back
        scored.append((kept + caught, threshold, kept, caught))
    best = max(score for score, *_ in scored)
    tied = [entry for entry in scored if entry[0] == best]
    _, threshold, kept, caught = tied[len(tied) // 2]
    return ThresholdChoice(threshold, kept, caught, len(right))
