"""Finding training and evaluation data on disk, whatever its format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from models.nlu.examples import Example, TrainingData
from models.nlu.snips import is_snips_dataset, is_snips_split, read_snips_split
from models.nlu.yaml_format import load_training_yaml


@dataclass(slots=True)
class TrainingSet:
    data: TrainingData
    valid: list[Example] | None
    kind: str  # "yaml" or "snips"


def load_training_set(path: str | Path) -> TrainingSet:
    """A YAML file (validated on a holdout) or a SNIPS folder (train/ + valid/)."""
    p = Path(path)
    if p.is_file():
        return TrainingSet(load_training_yaml(p), None, "yaml")
    if is_snips_dataset(p):
        valid = read_snips_split(p / "valid").examples if is_snips_split(p / "valid") else None
        return TrainingSet(read_snips_split(p / "train"), valid, "snips")
    if is_snips_split(p):
        return TrainingSet(read_snips_split(p), None, "snips")
    raise FileNotFoundError(
        f"{p}: expected a YAML training file or a SNIPS folder with train/ (seq.in, seq.out, label)"
    )


def load_eval_examples(path: str | Path) -> tuple[list[Example], str]:
    """Examples to score and a description of where they came from.

    A SNIPS dataset folder is scored on ``test/`` when present, else ``valid/``.
    """
    p = Path(path)
    if p.is_file():
        return load_training_yaml(p).examples, str(p)
    if is_snips_split(p):
        return read_snips_split(p).examples, str(p)
    for split in ("test", "valid"):
        if is_snips_split(p / split):
            return read_snips_split(p / split).examples, str(p / split)
    raise FileNotFoundError(f"{p}: expected a YAML file or a SNIPS split folder")
