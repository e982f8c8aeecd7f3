"""A toy trainer plugin, registered by dotted path (`tests.helpers.toy_trainer:TRAINER`).

The model is a threshold on one number: data is a JSON list of ``[value, label]`` pairs
(label 0 or 1); training puts the threshold between the two classes' means (moved by
the `shift` parameter), evaluation reports the accuracy on any such file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models.trainers import (
    Evaluation,
    Option,
    Trainer,
    TrainJob,
    TrainProgress,
    TrainResult,
    file_hash,
)

CALLS: list[TrainJob] = []  # in-process calls, for tests that inspect the job


def _pairs(data: Path) -> list[tuple[float, int]]:
    rows = json.loads(data.read_text())
    if not isinstance(rows, list) or not rows:
        raise ValueError(f"{data}: expected a non-empty JSON list of [value, label] pairs")
    return [(float(v), int(label)) for v, label in rows]


def _accuracy(threshold: float, pairs: list[tuple[float, int]]) -> float:
    right = sum(1 for v, label in pairs if (v >= threshold) == bool(label))
    return right / len(pairs)


def train(job: TrainJob) -> TrainResult:
    if job.data is None:
        raise FileNotFoundError("the toy model needs data")
    CALLS.append(job)
    pairs = _pairs(job.data)
    ones = [v for v, label in pairs if label] or [0.0]
    zeros = [v for v, label in pairs if not label] or [0.0]
    threshold = (sum(ones) / len(ones) + sum(zeros) / len(zeros)) / 2 + job.params["shift"]
    for step in range(1, job.params["steps"] + 1):
        job.progress(TrainProgress(step=step, total=job.params["steps"], loss=1.0 / step))
    job.progress(TrainProgress(message=f"toy threshold {threshold:.3f}"))
    job.output.mkdir(parents=True, exist_ok=True)
    model = {"name": job.name, "version": job.version, "threshold": threshold}
    (job.output / "toy.json").write_text(json.dumps(model))
    metrics = {"accuracy": _accuracy(threshold, pairs), "threshold": threshold, "n": len(pairs)}
    return TrainResult(metrics, file_hash(job.data))


def evaluate(model_dir: Path, data: Path | None, params: Mapping[str, Any]) -> Evaluation:
    model = json.loads((model_dir / "toy.json").read_text())
    if data is None:
        raise FileNotFoundError("the toy evaluation needs data")
    pairs = _pairs(data)
    errors = [
        {"value": v, "label": label}
        for v, label in pairs
        if (v >= model["threshold"]) != bool(label)
    ]
    metrics = {"accuracy": _accuracy(model["threshold"], pairs), "n": len(pairs), "errors": errors}
    return Evaluation(metrics, str(data), model["name"], model["version"])


TRAINER = Trainer(
    name="toy",
    train=train,
    evaluate=evaluate,
    primary_metric="accuracy",
    description="A threshold on one number (a test plugin).",
    options=(
        Option("shift", float, 0.0, "moves the threshold"),
        Option("steps", int, 3, "progress steps to report"),
    ),
)


def make_trainer() -> Trainer:
    """A factory, as a dotted path may also name one."""
    return TRAINER
