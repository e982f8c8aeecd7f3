"""The anomaly model's trainer plugin (`chorus train anomaly`, `chorus test anomaly`).

Registered under the anomaly subgraph's `models:` in chorus.yaml. Data is the
synthetic generator's configuration (apps/fraud/data/synthetic.yml): training uses
the stream's first weeks, evaluation its held-out last weeks, where the model and
the rules-only baseline are measured side by side. Training adds the analysts'
verdicts stored by alerting (`labels`, `label_weight`; labels.py); evaluation stays
on the synthetic held-out set, so versions remain comparable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from apps.fraud.anomaly import baseline
from apps.fraud.anomaly.dataset import Split, load
from apps.fraud.anomaly.labels import labels_url, read_labels
from apps.fraud.anomaly.metrics import report
from apps.fraud.anomaly.model import RiskModel, fit
from apps.fraud.anomaly.vector import vector
from models.resources import resolve
from models.trainers import (
    Evaluation,
    Option,
    Trainer,
    TrainJob,
    TrainProgress,
    TrainResult,
    file_hash,
)

DEFAULT_DATA = "apps.fraud:data/synthetic.yml"


def comparison(model: RiskModel, holdout: Split) -> dict[str, Any]:
    """The model's and the rules baseline's precision, recall and PR-AUC on `holdout`."""
    labels = holdout.labels
    scores = [s for s, _ in model.score(holdout.vectors)]
    rules = [baseline.score(f) for f in holdout.features]
    ours = report(scores, labels, model.threshold)
    theirs = report(rules, labels, 1e-9)  # any rule fired
    return {
        "pr_auc": ours["pr_auc"],
        "precision": ours["precision"],
        "recall": ours["recall"],
        "baseline_pr_auc": theirs["pr_auc"],
        "holdout_transactions": len(labels),
        "holdout_fraud": sum(labels),
        "held-out set": {"model": ours, "rules baseline": theirs},
    }


def analyst_rows(job: TrainJob) -> tuple[list[list[float]], list[bool], dict[str, int]]:
    """The analysts' verdicts (`labels` option), each repeated `label_weight` times."""
    url = labels_url(job.params["labels"])
    if url is None:
        job.progress(TrainProgress(message="no analyst labels (labels: none, or no database)"))
        return [], [], {"analyst_labels": 0, "analyst_fraud": 0}
    found = read_labels(url)
    repeat = job.params["label_weight"]
    vectors = [vector(lab.features) for lab in found for _ in range(repeat)]
    labels = [lab.fraud for lab in found for _ in range(repeat)]
    fraud = sum(lab.fraud for lab in found)
    job.progress(
        TrainProgress(message=f"{len(found)} analyst labels ({fraud} fraud), weight {repeat}")
    )
    return vectors, labels, {"analyst_labels": len(found), "analyst_fraud": fraud}


def train(job: TrainJob) -> TrainResult:
    data = job.data or resolve(DEFAULT_DATA)
    job.progress(TrainProgress(message=f"generating the synthetic stream of {data}"))
    training, holdout = load(data)
    job.progress(
        TrainProgress(
            message=f"{len(training.rows)} training transactions "
            f"({sum(training.labels)} fraud), {len(holdout.rows)} held out"
        )
    )
    extra_vectors, extra_labels, label_counts = analyst_rows(job)
    model, loss = fit(
        training.vectors + extra_vectors,
        training.labels + extra_labels,
        epochs=job.params["epochs"],
        lr=job.params["lr"],
        seed=job.params["seed"],
        class_weight=job.params["class_weight"],
    )
    job.progress(TrainProgress(step=job.params["epochs"], total=job.params["epochs"], loss=loss))
    model.save(job.output, name=job.name, version=job.version)
    metrics = {
        "loss": loss,
        "train_transactions": len(training.rows),
        **label_counts,
        **comparison(model, holdout),
    }
    return TrainResult(metrics, file_hash(data))


def evaluate(model_dir: Path, data: Path | None, params: Mapping[str, Any]) -> Evaluation:
    data = data or resolve(DEFAULT_DATA)
    _, holdout = load(data)
    about = json.loads((model_dir / "model.json").read_text())
    return Evaluation(
        comparison(RiskModel.load(model_dir), holdout),
        str(data),
        model_name=about.get("name"),
        model_version=about.get("version"),
    )


TRAINER = Trainer(
    name="anomaly",
    train=train,
    evaluate=evaluate,
    primary_metric="pr_auc",
    default_data=DEFAULT_DATA,
    description="fraud risk: logistic regression on a card's behavioural features",
    data_help="the synthetic generator's settings (YAML; apps.fraud:data/synthetic.yml)",
    options=(
        Option("epochs", int, 600, "full-batch optimisation steps"),
        Option("lr", float, 0.05, "Adam's learning rate"),
        Option("seed", int, 0, "torch's seed"),
        Option("class_weight", float, 0.0, "0: calibrated scores; 1: fraud weighted to balance"),
        Option(
            "labels",
            str,
            "stack",
            "analysts' verdicts (resolveAlert) to train on: 'stack' = the stack's database "
            "(CHORUS_DATABASE_URL), a database URL, or 'none'",
        ),
        Option("label_weight", int, 20, "how many synthetic rows one analyst verdict counts as"),
    ),
)
