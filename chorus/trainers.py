"""The trainer registry of a stack: the `models:` of every subgraph in chorus.yaml,
then the trainers installed packages register (`chorus.trainers` entry points)."""

from __future__ import annotations

from collections.abc import Iterable

from chorus.config import ChorusConfig
from models.trainer_registry import ModelSpec, TrainerRegistry


def model_specs(config: ChorusConfig, subgraphs: Iterable[str] | None = None) -> list[ModelSpec]:
    """The models the given subgraphs (default: all) declare, in configuration order."""
    wanted = set(config.subgraphs if subgraphs is None else subgraphs)
    return [
        ModelSpec(
            name=name,
            trainer=model.trainer,
            data=model.data,
            params=dict(model.params),
            owner=sub_name,
            base_dir=config.base_dir,
        )
        for sub_name, sub in config.subgraphs.items()
        if sub_name in wanted
        for name, model in sub.models.items()
    ]


def trainer_registry(config: ChorusConfig) -> TrainerRegistry:
    return TrainerRegistry(model_specs(config))
