"""`chorus train nlu` and `chorus test nlu` end to end (real model, real registry)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chorus.cli import app

CONCIERGE = Path(__file__).resolve().parents[2] / "apps" / "concierge" / "data" / "nlu.yml"

_SNIPS = [
    ("play {x} on spotify", "O B-artist O B-service", "PlayMusic", ["adele", "queen", "muse"]),
    ("rate this book {x} stars", "O O O B-rating O", "RateBook", ["two", "five", "4"]),
    ("weather in {x} tomorrow", "O O B-city B-date", "GetWeather", ["paris", "oslo", "rome"]),
]


def _tiny_snips(root: Path) -> None:
    for split, reps in (("train", 4), ("valid", 1)):
        folder = root / split
        folder.mkdir(parents=True)
        seq_in, seq_out, labels = [], [], []
        for _ in range(reps):
            for template, tags, label, fillers in _SNIPS:
                for filler in fillers:
                    seq_in.append(template.format(x=filler))
                    seq_out.append(tags)
                    labels.append(label)
        (folder / "seq.in").write_text("\n".join(seq_in) + "\n")
        (folder / "seq.out").write_text("\n".join(seq_out) + "\n")
        (folder / "label").write_text("\n".join(labels) + "\n")


def test_test_nlu_json(concierge_model: Any) -> None:
    result = CliRunner().invoke(
        app,
        ["test", "nlu", "--model", str(concierge_model.path), "--data", str(CONCIERGE), "--json"],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout.strip().splitlines()[-1])
    assert body["n"] > 300
    for key in ("intent_accuracy", "slot_f1", "sentence_accuracy"):
        assert 0.0 <= body[key] <= 1.0
    # Most of these utterances were seen in training: the model must know them.
    assert body["intent_accuracy"] > 0.8
    assert set(body["per_intent"]) >= {"greet", "book_table", "out_of_scope"}
    assert body["model"] == {"name": "nlu-test", "version": "test-1"}


def test_test_nlu_table(concierge_model: Any) -> None:
    result = CliRunner().invoke(
        app, ["test", "nlu", "--model", str(concierge_model.path), "--data", str(CONCIERGE)]
    )
    assert result.exit_code == 0, result.output
    assert "intent accuracy" in result.stdout and "per intent" in result.stdout


def test_test_nlu_bad_paths(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["test", "nlu", "--model", str(tmp_path), "--data", str(CONCIERGE)]
    )
    assert result.exit_code == 2


@pytest.mark.slow
def test_train_nlu_snips_folder_registers_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.db import create_engine
    from models.nlu.model import NLUModel
    from models.registry import ModelRegistry

    _tiny_snips(tmp_path / "snips")
    url = f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    monkeypatch.setenv("CHORUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHORUS_TORCH_THREADS", "1")
    result = CliRunner().invoke(
        app, ["train", "nlu", "--data", str(tmp_path / "snips"), "--epochs", "2", "--seed", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "registered nlu-snips" in result.stdout and "as production" in result.stdout

    async def versions() -> list[Any]:
        engine = create_engine(url)
        try:
            return await ModelRegistry(engine).list("nlu-snips")
        finally:
            await engine.dispose()

    (mv,) = asyncio.run(versions())
    assert mv.stage == "production"
    assert Path(mv.path).parent == tmp_path / "data" / "models" / "nlu-snips"
    assert mv.metrics["n_valid"] == 9 and 0.0 <= mv.metrics["intent_accuracy"] <= 1.0
    assert mv.metrics["threads"] == 1 and mv.metrics["peak_rss_mb"] > 0
    model = NLUModel.load(mv.path)
    assert model.config.version == mv.version
    assert model.config.intents == ["GetWeather", "PlayMusic", "RateBook"]
    saved = json.loads((Path(mv.path) / "metrics.json").read_text())
    assert saved["report"]["n"] == 9
