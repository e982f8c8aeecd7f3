"""Corrections as training data: exported alone, or merged into a copy of a training file.

Both are the NLU training-data YAML format (models/nlu/yaml_format.py), so an exported
file can be read, edited, committed to an application's data, or passed to `chorus
train nlu --data`.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from models.nlu.yaml_format import TrainingDataError, merge_training_yaml, parse_training_yaml
from subgraphs.training.corrections import Correction, CorrectionStore

MERGED_FILE = "training_data.yml"
CORRECTIONS_FILE = "corrections.yml"


def accepts_corrections(data: Path | None) -> str | None:
    """Why corrections cannot be added to this training data (None: they can)."""
    if data is None or not data.is_file():
        return f"corrections are added to a training-data YAML file, and the data is {data}"
    try:
        parse_training_yaml(data.read_text(encoding="utf-8"))
    except (TrainingDataError, ValueError, UnicodeDecodeError) as exc:
        return f"corrections are added to a training-data YAML file, and {data} is not one: {exc}"
    return None


def export(corrections: list[Correction], model: str) -> str:
    """The corrections of `model` (one per sentence) as a training-data YAML file."""
    text, _ = merge_training_yaml(
        None,
        [c.example for c in corrections],
        comment=f"{len(corrections)} correction(s) of {model}, recorded with correctTurn",
    )
    return text


async def merge_into(
    engine: AsyncEngine, model: str, base: Path, folder: Path
) -> tuple[Path, int, int]:
    """`base` plus the corrections of `model`, written in `folder`: (file, added, replaced)."""
    corrections = await CorrectionStore(engine).examples(model)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CORRECTIONS_FILE).write_text(export(corrections, model), encoding="utf-8")
    text, replaced = merge_training_yaml(
        base.read_text(encoding="utf-8"),
        [c.example for c in corrections],
        comment=f"{base} with {len(corrections)} correction(s) of {model}",
    )
    merged = folder / MERGED_FILE
    merged.write_text(text, encoding="utf-8")
    return merged, len(corrections), replaced
