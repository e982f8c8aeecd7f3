"""Train one version of a registered model: what `chorus train` and the training service share.

Both resolve the model in a `TrainerRegistry`, layer its parameters (trainer defaults <
configuration < the caller's), pick the data, the registry name, the version and the
artefact folder the same way, and call the trainer. Registering the version is the
caller's business (the CLI asks the user, the service makes a candidate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from models.trainer_registry import RegisteredModel
from models.trainers import ProgressFn, TrainJob, TrainProgress, TrainResult


def _ignore(_progress: TrainProgress) -> None:
    return None


def new_version(models_dir: Path) -> str:
    """A UTC timestamp, with a suffix when that folder is already taken."""
    base = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    version, n = base, 1
    while (models_dir / version).exists():
        version, n = f"{base}.{n}", n + 1
    return version


@dataclass(frozen=True)
class TrainPlan:
    """Everything decided before training starts; errors in the request surface here."""

    model: RegisteredModel
    name: str
    version: str
    output: Path
    data: Path | None
    params: dict[str, Any]


@dataclass(frozen=True)
class TrainedVersion:
    """A trained artefact on disk, not yet registered."""

    name: str
    version: str
    path: Path
    metrics: dict[str, Any]
    data_hash: str


def plan_training(
    model: RegisteredModel,
    models_dir: Path,
    *,
    data: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    name: str | None = None,
    version: str | None = None,
    output: Path | None = None,
) -> TrainPlan:
    """Resolve parameters, data, registry name, version and folder.

    Raises `TrainerError` for an unknown or badly typed parameter and
    `FileNotFoundError` (`ResourceNotFound`) for missing data.
    """
    params = model.params_with(overrides)
    data_path = model.data_path(data)
    trainer = model.trainer
    name = name or (trainer.name_for(model.name, data_path) if trainer.name_for else model.name)
    version = version or new_version(models_dir / name)
    return TrainPlan(model, name, version, output or models_dir / name / version, data_path, params)


def run_plan(
    plan: TrainPlan, progress: ProgressFn = _ignore, *, data: Path | None = None
) -> TrainedVersion:
    """Call the trainer; `data` replaces the planned data (e.g. the training part of a split)."""
    job = TrainJob(
        plan.name,
        plan.version,
        plan.output,
        data if data is not None else plan.data,
        plan.params,
        progress=progress,
    )
    result: TrainResult = plan.model.trainer.train(job)
    return TrainedVersion(plan.name, plan.version, plan.output, result.metrics, result.data_hash)
