"""The synthetic stream as the model sees it: feature vectors and labels, train and held-out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from apps.fraud.anomaly.vector import vector
from apps.fraud.features.compute import CardEvent, Features, features_in_order
from apps.fraud.synthetic import LabelledTransaction, SyntheticConfig, generate, split


@dataclass(frozen=True)
class Split:
    rows: list[LabelledTransaction]
    features: list[Features]

    @property
    def vectors(self) -> list[list[float]]:
        return [vector(f) for f in self.features]

    @property
    def labels(self) -> list[bool]:
        return [r.fraud for r in self.rows]


def load(config_path: Path) -> tuple[Split, Split]:
    """(training weeks, held-out weeks) of the stream that `config_path` describes."""
    config = SyntheticConfig.load(config_path)
    rows = generate(config)
    computed = features_in_order(
        [CardEvent(r.id, r.card_id, r.timestamp, r.amount_eur, r.merchant, r.country) for r in rows]
    )
    train, holdout = split(config, rows)
    return (
        Split(train, [computed[r.id] for r in train]),
        Split(holdout, [computed[r.id] for r in holdout]),
    )
