"""Analysts' verdicts feed the next training run: a transaction scored, alerted and resolved as
fraud by the stores the subgraphs use, then two trainings on the same synthetic stream and seed,
without and with the labels; the labelled transaction scores higher in the second model."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from apps.fraud.alerting.rules import load_rules
from apps.fraud.alerting.store import AlertStore, Figures
from apps.fraud.anomaly.labels import read_labels
from apps.fraud.anomaly.model import RiskModel
from apps.fraud.anomaly.trainer import TRAINER
from apps.fraud.anomaly.vector import vector
from apps.fraud.features.compute import CardEvent
from apps.fraud.features.store import FeatureStore
from models.resources import resolve
from models.trainers import TrainJob, TrainProgress
from tests.helpers.fraud import migrated

T0 = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


async def _label(url: str, fraud: bool) -> list[float]:
    """An ordinary-looking grocery payment, alerted and given the analyst's verdict."""
    features_store = FeatureStore(url)
    alert_store = AlertStore(load_rules(), url)
    await features_store.start()
    await alert_store.start()
    try:
        event = CardEvent("tx-labelled", "card-x", T0, 38.0, "Corner Grocer", "DE")
        computed = (await features_store.features_for([event]))["tx-labelled"]
        decided = await alert_store.decide([Figures("tx-labelled", "grocery", 0.95, 0, 0)])
        alert = decided["tx-labelled"]
        assert alert is not None
        await alert_store.resolve(alert.id, fraud)
        open_alert = await alert_store.decide([Figures("tx-open", "grocery", 0.95, 0, 0)])
        assert open_alert["tx-open"] is not None  # an alert without a verdict: not a label
    finally:
        await features_store.stop()
        await alert_store.stop()
    return vector(computed)


def _small_stream(folder: Path) -> Path:
    config = yaml.safe_load(resolve("apps.fraud:data/synthetic.yml").read_text())
    config.update(cards=120, weeks=3, holdout_weeks=1)
    path = folder / "synthetic.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def _train(folder: Path, data: Path, labels: str) -> tuple[RiskModel, dict[str, Any], list[str]]:
    messages: list[str] = []
    params = {o.name: o.default for o in TRAINER.options}
    params.update(epochs=300, labels=labels, label_weight=50)

    def progress(p: TrainProgress) -> None:
        messages.append(p.message or "")

    result = TRAINER.train(TrainJob("anomaly", labels, folder, data, params, progress))
    return RiskModel.load(folder), result.metrics, messages


async def test_a_fraud_verdict_raises_the_next_models_score_for_such_payments(
    tmp_path: Path,
) -> None:
    url = migrated(tmp_path, "features", "alerting")
    labelled = await _label(url, fraud=True)
    (found,) = read_labels(url)
    assert found.transaction_id == "tx-labelled" and found.fraud is True
    assert vector(found.features) == labelled  # the features as they were scored

    data = _small_stream(tmp_path)
    before, before_metrics, _ = _train(tmp_path / "without", data, "none")
    after, after_metrics, messages = _train(tmp_path / "with", data, url)
    assert before_metrics["analyst_labels"] == 0
    assert after_metrics["analyst_labels"] == 1 and after_metrics["analyst_fraud"] == 1
    assert "1 analyst labels (1 fraud), weight 50" in messages
    ((score_before, _),) = before.score([labelled])
    ((score_after, _),) = after.score([labelled])
    assert score_after > 2 * score_before, (score_before, score_after)
    assert score_after - score_before > 0.05, (score_before, score_after)


async def test_a_legitimate_verdict_lowers_it(tmp_path: Path) -> None:
    url = migrated(tmp_path, "features", "alerting")
    labelled = await _label(url, fraud=False)
    data = _small_stream(tmp_path)
    before, _, _ = _train(tmp_path / "without", data, "none")
    after, metrics, _ = _train(tmp_path / "with", data, url)
    assert metrics["analyst_labels"] == 1 and metrics["analyst_fraud"] == 0
    ((score_before, _),) = before.score([labelled])
    ((score_after, _),) = after.score([labelled])
    assert score_after < score_before, (score_before, score_after)


def test_a_database_without_the_fraud_tables_has_no_labels(tmp_path: Path) -> None:
    url = migrated(tmp_path, "ingestion")
    assert read_labels(url) == []
