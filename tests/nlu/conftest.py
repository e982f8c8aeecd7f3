"""One real (small) training run on the shipped concierge data, shared by the NLU tests."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("CHORUS_TORCH_THREADS", "1")

REPO = Path(__file__).resolve().parents[2]
CONCIERGE = REPO / "apps" / "concierge" / "data" / "nlu.yml"
# Enough optimiser steps to learn the concierge intents with the real MiniLM,
# few enough to keep the whole NLU suite well under a minute of CPU.
TEST_STEPS = 90


@dataclass(frozen=True)
class TrainedModel:
    path: Path
    result: object  # models.nlu.training.TrainResult


@pytest.fixture(scope="session")
def concierge_model(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    from models.nlu.training import TrainConfig, train_nlu
    from models.nlu.yaml_format import load_training_yaml

    data = load_training_yaml(CONCIERGE)
    cfg = TrainConfig(epochs=20, max_steps=TEST_STEPS, seed=7, eval_each_epoch=False)
    result = train_nlu(data, holdout=0.2, config=cfg, name="nlu-test", version="test-1")
    path = tmp_path_factory.mktemp("nlu-model") / "test-1"
    result.model.save(path, metrics=result.report.summary() if result.report else {})
    return TrainedModel(path, result)
