"""The anomaly trainer plugin through the CLI: `chorus train anomaly` registers a version,
`chorus test anomaly` reports the model and the rules-only baseline side by side on the
held-out set, and the model beats the baseline's PR-AUC. The generator is deterministic."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from apps.fraud.anomaly.metrics import average_precision
from apps.fraud.synthetic import SyntheticConfig, generate, split
from chorus.cli import app
from models.resources import resolve
from tests.helpers.stacks import REPO

SHIPPED = resolve("apps.fraud:data/synthetic.yml")


def test_the_generator_is_seeded_and_labels_every_pattern_in_the_held_out_weeks() -> None:
    config = replace(SyntheticConfig.load(SHIPPED), cards=120)
    first, again = generate(config), generate(config)
    assert first == again
    assert generate(replace(config, seed=config.seed + 1)) != first
    train, holdout = split(config, first)
    assert train and holdout and max(r.timestamp for r in train) < config.holdout_start
    patterns = Counter(r.pattern for r in holdout if r.fraud)
    assert set(patterns) == {"card_testing", "account_takeover", "merchant_burst"}
    assert all(r.pattern == "" for r in holdout if not r.fraud)


def test_bad_generator_settings_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("cards: 10\ncolour: red\n")
    with pytest.raises(ValueError, match="unknown keys \\['colour'\\]"):
        SyntheticConfig.load(path)
    path.write_text("weeks: 2\nholdout_weeks: 2\n")
    with pytest.raises(ValueError, match="holdout_weeks must be between 1 and weeks - 1"):
        SyntheticConfig.load(path)


def test_average_precision_counts_ties_as_one_threshold() -> None:
    assert average_precision([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert average_precision([0.9, 0.8, 0.1], [False, True, True]) == pytest.approx(
        (0.5 * 0.5) + (0.5 * 2 / 3)
    )
    # a rule that fires on everything: precision is the base rate at full recall
    assert average_precision([1.0] * 4, [True, False, False, False]) == 0.25


def test_train_then_test_reports_model_and_baseline_and_the_model_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHORUS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}")
    runner = CliRunner()
    stack = str(REPO / "chorus.yaml")
    trained = runner.invoke(app, ["train", "-c", stack, "anomaly"])
    assert trained.exit_code == 0, trained.output
    assert (tmp_path / "data" / "models" / "anomaly").is_dir()
    result = runner.invoke(app, ["test", "-c", stack, "anomaly", "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output[result.output.index("{") :])
    assert metrics["model"]["name"] == "anomaly"
    side_by_side = metrics["held-out set"]
    model, rules = side_by_side["model"], side_by_side["rules baseline"]
    for figures in (model, rules):
        assert set(figures) == {"precision", "recall", "pr_auc"}
        assert all(0.0 <= v <= 1.0 for v in figures.values())
    assert model["pr_auc"] > rules["pr_auc"] + 0.2, side_by_side
    assert metrics["pr_auc"] == model["pr_auc"]
    assert metrics["baseline_pr_auc"] == rules["pr_auc"]
    assert model["precision"] > rules["precision"] and model["recall"] > rules["recall"]
    table = runner.invoke(app, ["test", "-c", stack, "anomaly"])
    assert table.exit_code == 0, table.output
    assert "rules baseline" in table.output and "pr_auc" in table.output
