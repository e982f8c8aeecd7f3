"""A real, small training run learns; artefacts reload; seeds make runs repeatable."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from models.nlu.evaluation import evaluate_model
from models.nlu.model import NLUModel
from models.nlu.training import TrainConfig, holdout_split, train_nlu
from models.nlu.understanding import FALLBACK_INTENT
from models.nlu.yaml_format import load_training_yaml

CONCIERGE = Path(__file__).resolve().parents[3] / "apps" / "concierge" / "data" / "nlu.yml"


def test_training_beats_the_majority_baseline(concierge_model: Any) -> None:
    result = concierge_model.result
    data = load_training_yaml(CONCIERGE)
    _, valid = holdout_split(data, 0.2, seed=7)
    assert result.n_valid == len(valid) > 40
    majority = Counter(e.intent for e in valid).most_common(1)[0][1] / len(valid)
    report = result.report
    assert report is not None
    # The majority baseline is ~0.14 intent accuracy and 0 slot F1 (it predicts no entity).
    assert report.intent_accuracy >= majority + 0.4, (report.intent_accuracy, majority)
    assert report.slot_f1 >= 0.5, report.slot_f1
    assert result.history[-1]["loss"] < 1.0


def test_artefacts_reload_with_identical_predictions(concierge_model: Any) -> None:
    texts = ["book a table for two at 7pm tomorrow", "what time do you open?", "thanks!"]
    live = concierge_model.result.model.predict(texts)
    loaded = NLUModel.load(concierge_model.path)
    again = loaded.predict(texts)
    for a, b in zip(live, again, strict=True):
        assert [i.name for i in a.ranking] == [i.name for i in b.ranking]
        assert np.allclose([i.confidence for i in a.ranking], [i.confidence for i in b.ranking])
        # Same entities; confidences agree to float noise (the reloaded model runs the lean
        # encoder, whose kernels may sum in another order on another CPU).
        assert [dataclasses.replace(e, confidence=0.0) for e in a.entities] == [
            dataclasses.replace(e, confidence=0.0) for e in b.entities
        ]
        assert np.allclose(
            [e.confidence for e in a.entities], [e.confidence for e in b.entities], atol=1e-5
        )
    assert again[0].model.name == "nlu-test" and again[0].model.version == "test-1"
    files = {p.name for p in concierge_model.path.iterdir()}
    assert {"config.json", "model.safetensors", "rules.json", "tokenizer.json"} <= files


def test_prediction_shape(concierge_model: Any) -> None:
    model = concierge_model.result.model
    text = "Table for 4 at 8pm, Italian please"
    (u,) = model.predict([text])
    confidences = [i.confidence for i in u.ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert 0.99 <= sum(confidences) <= 1.0001  # all 12 intents fit in the ranking
    assert u.text == text
    for e in u.entities:
        assert text[e.start : e.end] == e.text
        assert 0.0 <= e.confidence <= 1.0
        assert e.extractor in {"minilm", "regex", "lookup"}
    # The regex and lookup rules guarantee these whatever the learned tagger does.
    by_type = {e.type: e for e in u.entities}
    assert by_type["time"].text == "8pm"
    assert by_type["cuisine"].text == "Italian"


def test_fallback_threshold_and_ambiguity(concierge_model: Any) -> None:
    model = concierge_model.result.model
    cfg = model.config
    saved = cfg.fallback_threshold, cfg.ambiguity_threshold
    try:
        cfg.fallback_threshold, cfg.ambiguity_threshold = 1.01, 0.0
        (u,) = model.predict(["hello there"])
        assert u.fallback and u.intent.name == FALLBACK_INTENT
        assert u.intent.confidence == u.ranking[0].confidence
        cfg.fallback_threshold, cfg.ambiguity_threshold = 0.0, 1.0  # top-2 always "too close"
        assert model.predict(["hello there"])[0].fallback
        cfg.fallback_threshold, cfg.ambiguity_threshold = 0.0, 0.0
        (u,) = model.predict(["hello there"])
        assert not u.fallback and u.intent == u.ranking[0]
    finally:
        cfg.fallback_threshold, cfg.ambiguity_threshold = saved


def test_evaluation_uses_the_ranking_not_the_fallback(concierge_model: Any) -> None:
    model = concierge_model.result.model
    examples = load_training_yaml(CONCIERGE).examples[:30]
    base = evaluate_model(model, examples)
    saved = model.config.fallback_threshold
    try:
        model.config.fallback_threshold = 1.01
        assert evaluate_model(model, examples).intent_accuracy == base.intent_accuracy
    finally:
        model.config.fallback_threshold = saved


def _tiny_run(seed: int) -> dict[str, torch.Tensor]:
    data = load_training_yaml(CONCIERGE)
    data.examples = data.examples[::10]
    cfg = TrainConfig(epochs=1, max_steps=2, seed=seed, batch_size=8, eval_each_epoch=False)
    result = train_nlu(data, holdout=0.0, config=cfg, version="tiny")
    return {k: v.clone() for k, v in result.model.network.state_dict().items()}


@pytest.mark.slow
def test_same_seed_same_model() -> None:
    a, b = _tiny_run(3), _tiny_run(3)
    assert all(torch.equal(a[k], b[k]) for k in a)
    c = _tiny_run(4)
    assert not all(torch.equal(a[k], c[k]) for k in a)
