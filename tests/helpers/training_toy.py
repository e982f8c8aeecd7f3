"""The toy trainer for training-service tests: the toy threshold model, plus a held-out
split, a `delay` per step (so a test can watch, cancel or kill a running job) and a
`fail` switch. Registered by dotted path: `tests.helpers.training_toy:TRAINER`.

Each training run appends one line to ``<output>/../../runs.log`` (the model's folder
under the data dir), so a test counts how often a job really ran.
"""

from __future__ import annotations

import dataclasses
import json
import random
import time
from pathlib import Path

from models.trainers import DataSplit, Option, TrainJob, TrainProgress, TrainResult
from tests.helpers import toy_trainer

RUNS_LOG = "runs.log"


def split(data: Path, folder: Path, fraction: float, seed: int) -> DataSplit:
    """Every class keeps at least one pair in each part."""
    rows = json.loads(data.read_text())
    rng = random.Random(seed)
    train: list[list[float]] = []
    held: list[list[float]] = []
    for label in (0, 1):
        group = [r for r in rows if int(r[1]) == label]
        rng.shuffle(group)
        n = max(1, round(len(group) * fraction)) if len(group) > 1 else 0
        held += group[:n]
        train += group[n:]
    (folder / "train.json").write_text(json.dumps(train))
    (folder / "held_out.json").write_text(json.dumps(held))
    return DataSplit(folder / "train.json", folder / "held_out.json")


def train(job: TrainJob) -> TrainResult:
    if job.params["fail"]:
        raise ValueError("the toy was told to fail")
    job.output.mkdir(parents=True, exist_ok=True)
    with (job.output.parent / RUNS_LOG).open("a") as runs:
        runs.write(f"{job.version}\n")
    steps = job.params["steps"]
    for step in range(1, steps + 1):
        time.sleep(job.params["delay"])
        job.progress(
            TrainProgress(
                step=step,
                total=steps,
                epoch=step,
                loss=1.0 / step,
                label=f"epoch {step}/{steps}",
                metrics={"val_accuracy": step / steps},
            )
        )
    plain = dataclasses.replace(job, params={"shift": job.params["shift"], "steps": 0})
    return toy_trainer.train(plain)


TRAINER = dataclasses.replace(
    toy_trainer.TRAINER,
    name="training-toy",
    train=train,
    split=split,
    options=(
        *toy_trainer.TRAINER.options,
        Option("delay", float, 0.0, "seconds per step"),
        Option("fail", bool, False, "raise instead of training"),
    ),
)


def runs(models_dir: Path, name: str) -> list[str]:
    """The versions trained so far under `models_dir/name` (one line per run)."""
    path = models_dir / name / RUNS_LOG
    return path.read_text().split() if path.exists() else []
