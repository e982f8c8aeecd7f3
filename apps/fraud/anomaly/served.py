"""The anomaly model as the kit serves it: registry version, batching, hot swaps."""

from __future__ import annotations

from collections.abc import Sequence

from apps.fraud.anomaly.model import RiskModel
from subgraphs.kit import Artifact, Outcome, ServedModel

Scored = tuple[float, list[str]]


def load(artifact: Artifact) -> RiskModel:
    return RiskModel.load(artifact.path)


def predict(model: RiskModel, rows: Sequence[list[float]]) -> list[Scored]:
    return model.score(rows)


def served_model(**overrides: object) -> ServedModel[RiskModel, list[float], Scored]:
    """A batch of 1,000 submitted transactions is one forward pass, and fits the queue."""
    settings: dict[str, object] = {"max_batch_size": 2048, "max_wait_ms": 5.0, "max_queue": 20_000}
    settings.update(overrides)
    return ServedModel(
        "anomaly",
        load=load,
        predict=predict,
        outcome=lambda out: Outcome(
            label="risky" if out[0] >= 0.5 else "normal", confidence=out[0]
        ),
        **settings,  # type: ignore[arg-type]
    )
