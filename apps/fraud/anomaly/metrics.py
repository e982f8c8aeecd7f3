"""Precision, recall and PR-AUC (average precision) for scores against labels.

Written out rather than imported: it is a dozen lines, and the project has no
scikit-learn. Tied scores are one threshold (a rule set that fires 0, 1 or 2 rules
has three points on its curve, not one per transaction).
"""

from __future__ import annotations

from collections.abc import Sequence


def average_precision(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """Area under the precision-recall curve as a step function (sklearn's definition)."""
    positives = sum(labels)
    if positives == 0:
        return 0.0
    pairs = sorted(zip(scores, labels, strict=True), key=lambda p: -p[0])
    area, hits, seen, recall_before, i = 0.0, 0, 0, 0.0, 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            hits += pairs[j][1]
            j += 1
        seen += j - i
        recall = hits / positives
        area += (recall - recall_before) * (hits / seen)
        recall_before, i = recall, j
    return area


def precision_recall(flags: Sequence[bool], labels: Sequence[bool]) -> tuple[float, float]:
    flagged_fraud = sum(1 for f, y in zip(flags, labels, strict=True) if f and y)
    flagged, positives = sum(flags), sum(labels)
    precision = flagged_fraud / flagged if flagged else 0.0
    recall = flagged_fraud / positives if positives else 0.0
    return precision, recall


def report(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> dict[str, float]:
    """precision and recall at `threshold` (score >= threshold flags), and PR-AUC."""
    precision, recall = precision_recall([s >= threshold for s in scores], labels)
    return {
        "precision": precision,
        "recall": recall,
        "pr_auc": average_precision(scores, labels),
    }
