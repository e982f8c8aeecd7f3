"""Trainer plugins: what a team declares so that its model can be trained and evaluated.

A `Trainer` names a model, how to train it from data into a directory and how to
evaluate a trained directory. `chorus train <model>` / `chorus test <model>` and the
training service call these functions; they handle the registry, versions and output
folders themselves, so a trainer only turns data into an artefact and metrics.

    TRAINER = Trainer(
        name="anomaly",
        train=train_anomaly,            # (TrainJob) -> TrainResult
        evaluate=evaluate_anomaly,      # (model_dir, data, params) -> Evaluation
        primary_metric="f1",
        options=(Option("epochs", int, 5, "passes over the data"),),
    )

Trainers are found by dotted path in ``chorus.yaml`` or through the ``chorus.trainers``
entry-point group (see `models.trainer_registry`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from models.resources import resolve

C = TypeVar("C")


class TrainerError(ValueError):
    """A trainer cannot be found, loaded or called as configured; the message says why."""


@dataclass(frozen=True)
class TrainProgress:
    """One report from a running training: a bar position and/or a line worth keeping."""

    step: int | None = None
    total: int | None = None
    loss: float | None = None
    label: str = ""
    message: str | None = None
    epoch: int | None = None
    metrics: Mapping[str, float] | None = None  # validation metrics, e.g. at an epoch's end


ProgressFn = Callable[[TrainProgress], None]


def _ignore(_progress: TrainProgress) -> None:
    return None


@dataclass(frozen=True)
class TrainJob:
    """Everything a trainer needs: the data, typed parameters and where to write the model."""

    name: str
    version: str
    output: Path
    data: Path | None
    params: Mapping[str, Any] = field(default_factory=dict)
    progress: ProgressFn = _ignore


@dataclass(frozen=True)
class TrainResult:
    """Metrics recorded with the version, and the hash of the data it was trained on."""

    metrics: dict[str, Any]
    data_hash: str


@dataclass(frozen=True)
class Evaluation:
    """What `evaluate` measured, on which data, for which model (read from the artefact)."""

    metrics: dict[str, Any]
    data: str
    model_name: str | None = None
    model_version: str | None = None


@dataclass(frozen=True)
class Option:
    """A trainer parameter: a `chorus train` option, a `params:` key in chorus.yaml.

    `type` is one of int, float, str, bool or Path (a Path value may be a
    ``pkg.module:relative/path`` spec). `evaluate=True` also offers it to `chorus test`.
    """

    name: str
    type: type
    default: Any = None
    help: str = ""
    evaluate: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def coerce(self, value: Any, base_dir: Path | None = None) -> Any:
        """`value` (from YAML or a `key=value` string) as this option's type."""
        if value is None:
            return None
        try:
            if self.type is bool:
                return _as_bool(value)
            if self.type is Path:
                return _as_path(value, base_dir)
            if self.type in (int, float) and isinstance(value, bool):
                raise ValueError("not a number")
            return self.type(value)
        except (TypeError, ValueError) as exc:
            raise TrainerError(
                f"parameter {self.name}: {value!r} is not a valid {self.type.__name__}"
            ) from exc


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _as_path(value: Any, base_dir: Path | None) -> Path:
    path = resolve(str(value), must_exist=False)
    if base_dir is not None and not path.is_absolute():
        path = base_dir / path
    return path


@dataclass(frozen=True)
class DataSplit:
    """Training data cut in two: what the model learns from, and what judges it."""

    train: Path
    held_out: Path


TrainFn = Callable[[TrainJob], TrainResult]
EvaluateFn = Callable[[Path, Path | None, Mapping[str, Any]], Evaluation]
NameFn = Callable[[str, Path | None], str]
SplitFn = Callable[[Path, Path, float, int], DataSplit]
"""(data, output folder, held-out fraction, seed) -> the two files it wrote there."""


@dataclass(frozen=True)
class Trainer:
    """A model's training and evaluation, as the CLI and the training service call them.

    `default_data` (a path or ``pkg.module:path`` spec) is used when neither the command
    line nor chorus.yaml names data. `name_for(model name, data)` may pick the registry
    name from the data (e.g. one name per dataset); `data_aliases` are extra `--data` flags.
    `split(data, folder, fraction, seed)` cuts the data into a training and a held-out file
    in the trainer's own format; the training service trains on the first and compares the
    candidate with production on the second (the evaluation gate). Higher values of
    `primary_metric` are better.
    """

    name: str
    train: TrainFn
    evaluate: EvaluateFn | None = None
    primary_metric: str | None = None
    default_data: str | None = None
    options: tuple[Option, ...] = ()
    description: str = ""
    data_help: str = "training data (a path or pkg.module:relative/path)"
    data_aliases: tuple[str, ...] = ()
    name_for: NameFn | None = None
    split: SplitFn | None = None

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)

    def params(self, *layers: Mapping[str, Any], base_dir: Path | None = None) -> dict[str, Any]:
        """Defaults overlaid with each layer in turn (config, then command line), typed.

        A None value in a layer leaves the value below it; an unknown key is an error
        that lists the known ones.
        """
        values = {o.name: o.default for o in self.options}
        for layer in layers:
            for key, value in layer.items():
                option = self.option(key.replace("-", "_"))
                if option is None:
                    known = ", ".join(o.name for o in self.options) or "none"
                    raise TrainerError(
                        f"model {self.name} has no parameter {key!r} (known: {known})"
                    )
                if value is not None:
                    values[option.name] = option.coerce(value, base_dir)
        return values


def config_from(config: type[C], params: Mapping[str, Any], **renamed: str) -> C:
    """A training config dataclass from a trainer's typed `params`.

    Each field of `config` takes the parameter of its name, or the one `renamed` maps
    it to (`learning_rate="lr"`); a field without a parameter keeps its default, and a
    parameter without a field is left alone (it is for the trainer itself). So a trainer
    lists only where its option names differ from its config's, not every field again.
    """
    names = {f.name for f in fields(config)}  # type: ignore[arg-type]
    unknown = sorted(set(renamed) - names)
    if unknown:
        raise TrainerError(f"{config.__name__} has no field {unknown[0]!r}")
    missing = sorted(v for v in renamed.values() if v not in params)
    if missing:
        raise TrainerError(f"no parameter {missing[0]!r} for {config.__name__}")
    keys = {name: renamed.get(name, name) for name in names}
    return config(**{name: params[key] for name, key in keys.items() if key in params})


def file_hash(path: Path) -> str:
    """SHA-256 of a data file, or of every file in a folder (names and contents, sorted).

    For trainers whose data has no canonical form of its own.
    """
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()
