"""`chorus train <model>` / `chorus test <model>` for a plugin registered by dotted path."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chorus.cli import app
from models.trainers import file_hash
from tests.helpers.stacks import TOY_TRAINER, write_stack, write_toy_data


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_toy_data(tmp_path / "toy.json")
    config = write_stack(
        tmp_path,
        {
            "alpha": {
                "app": "tests.helpers.tiny_subgraphs:alpha_app",
                "port": 4901,
                "models": {"toy": {"trainer": TOY_TRAINER, "data": "toy.json"}},
            }
        },
    )
    monkeypatch.setenv("CHORUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHORUS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}")
    return config


def _versions(tmp_path: Path, name: str) -> list[Any]:
    from models.db import create_engine
    from models.registry import ModelRegistry

    async def fetch() -> list[Any]:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}")
        try:
            return await ModelRegistry(engine).list(name)
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


def test_train_runs_the_plugin_saves_and_registers(stack: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["train", "--config", str(stack), "toy", "--steps", "2"])
    assert result.exit_code == 0, result.output
    (mv,) = _versions(tmp_path, "toy")
    assert mv.stage == "production"
    target = tmp_path / "data" / "models" / "toy" / mv.version
    assert Path(mv.path) == target.resolve()
    assert json.loads((target / "toy.json").read_text())["version"] == mv.version
    assert mv.metrics["accuracy"] == 1.0 and mv.metrics["n"] == 6
    assert mv.data_hash == file_hash(tmp_path / "toy.json")
    assert f"registered toy {mv.version} as production" in result.stdout
    assert "toy threshold 0.500" in result.output  # the plugin's progress message

    # A second version is a candidate; parameters come from options and --param.
    result = CliRunner().invoke(
        app,
        ["train", "-c", str(stack), "toy", "--version", "v2", "--param", "shift=0.25"],
    )
    assert result.exit_code == 0, result.output
    second = next(v for v in _versions(tmp_path, "toy") if v.version == "v2")
    assert second.stage == "candidate"
    assert second.metrics["threshold"] == pytest.approx(0.75)
    assert second.metrics["accuracy"] == pytest.approx(5 / 6)


def test_promote_and_no_register(stack: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["train", "-c", str(stack), "toy", "--version", "a"]).exit_code == 0
    out = tmp_path / "elsewhere"
    result = runner.invoke(
        app,
        ["train", "-c", str(stack), "toy", "--version", "b", "--no-register", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert (out / "toy.json").exists()
    assert [v.version for v in _versions(tmp_path, "toy")] == ["a"]
    result = runner.invoke(app, ["train", "-c", str(stack), "toy", "--version", "c", "--promote"])
    assert result.exit_code == 0, result.output
    stages = {v.version: v.stage for v in _versions(tmp_path, "toy")}
    assert stages == {"a": "archived", "c": "production"}


def test_test_evaluates_the_production_version_and_records_the_metrics(
    stack: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    trained = runner.invoke(app, ["train", "-c", str(stack), "toy", "--version", "v1"])
    assert trained.exit_code == 0, trained.output
    hard = write_toy_data(tmp_path / "hard.json", [(0.45, 1), (0.55, 0), (0.9, 1), (0.1, 0)])
    result = runner.invoke(app, ["test", "-c", str(stack), "toy", "--data", str(hard), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout.strip().splitlines()[-1])
    assert body["accuracy"] == 0.5 and body["n"] == 4
    assert body["model"] == {"name": "toy", "version": "v1"}
    assert body["data"] == str(hard) and len(body["errors"]) == 2
    (mv,) = _versions(tmp_path, "toy")
    recorded = mv.metrics["evaluations"][str(hard)]
    assert recorded["accuracy"] == 0.5 and recorded["n"] == 4 and "errors" not in recorded
    assert mv.metrics["accuracy"] == 1.0  # the training metrics stay

    # The table form: headline metrics and the nested list as its own table.
    table = runner.invoke(app, ["test", "-c", str(stack), "toy", "--data", str(hard)])
    assert table.exit_code == 0, table.output
    assert "accuracy" in table.stdout and "errors" in table.stdout


def test_test_a_directory_records_only_when_asked(stack: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "m"
    assert (
        runner.invoke(
            app, ["train", "-c", str(stack), "toy", "--version", "d", "--out", str(out)]
        ).exit_code
        == 0
    )
    result = runner.invoke(app, ["test", "-c", str(stack), "toy", "--model", str(out), "--json"])
    assert result.exit_code == 0, result.output
    (mv,) = _versions(tmp_path, "toy")
    assert "evaluations" not in mv.metrics
    result = runner.invoke(app, ["test", "-c", str(stack), "toy", "--model", str(out), "--record"])
    assert result.exit_code == 0, result.output
    (mv,) = _versions(tmp_path, "toy")
    assert mv.metrics["evaluations"][str(tmp_path / "toy.json")]["accuracy"] == 1.0


def test_test_without_a_version_says_how_to_get_one(stack: Path) -> None:
    import migrations
    from models.db import database_url

    migrations.upgrade(database_url())
    result = CliRunner().invoke(app, ["test", "-c", str(stack), "toy"])
    assert result.exit_code == 2
    assert "no version of model toy is registered" in result.stderr
    assert "chorus train toy" in result.stderr


def test_an_unknown_model_is_a_clear_error_listing_the_known_ones(stack: Path) -> None:
    for group in ("train", "test"):
        result = CliRunner().invoke(app, [group, "-c", str(stack), "anomaly"])
        assert result.exit_code == 2
        assert "no trainer is registered for model 'anomaly'" in result.output
        assert "toy" in result.output.split("known models:")[1]


def test_help_lists_the_registered_models(stack: Path) -> None:
    result = CliRunner().invoke(app, ["train", "-c", str(stack), "--help"])
    assert result.exit_code == 0
    assert "toy" in result.stdout and "A threshold on one number" in result.stdout
    result = CliRunner().invoke(app, ["train", "-c", str(stack), "toy", "--help"])
    assert "--shift" in result.stdout and "--steps" in result.stdout


def test_bad_parameters_and_data_are_reported(stack: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["train", "-c", str(stack), "toy", "--param", "epochs=3"])
    assert result.exit_code == 2 and "no parameter 'epochs'" in result.stderr
    result = runner.invoke(app, ["train", "-c", str(stack), "toy", "--param", "shift"])
    assert result.exit_code == 2 and "--param expects key=value" in result.stderr
    result = runner.invoke(
        app, ["train", "-c", str(stack), "toy", "--data", str(tmp_path / "no.json")]
    )
    assert result.exit_code == 2 and "no.json" in result.stderr
    (tmp_path / "empty.json").write_text("[]")
    result = runner.invoke(
        app, ["train", "-c", str(stack), "toy", "--data", str(tmp_path / "empty.json")]
    )
    assert result.exit_code == 2 and "non-empty JSON list" in result.stderr


def test_a_trainer_that_cannot_load_is_reported_when_run(tmp_path: Path) -> None:
    config = write_stack(
        tmp_path,
        {"alpha": {"app": "x:y", "port": 4902, "models": {"toy": {"trainer": "no_pkg.t:TRAINER"}}}},
    )
    result = CliRunner().invoke(app, ["train", "-c", str(config), "toy"])
    assert result.exit_code == 2
    assert "cannot import no_pkg.t" in result.stderr
