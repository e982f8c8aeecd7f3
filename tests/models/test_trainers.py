"""Trainer plugins: typed parameters; a model's trainer by dotted path or entry point."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest

from models.trainer_registry import (
    ENTRY_POINT_GROUP,
    ModelSpec,
    TrainerRegistry,
    UnknownModel,
    load_trainer,
)
from models.trainers import Option, TrainerError, config_from, file_hash
from tests.helpers import toy_trainer

TOY = "tests.helpers.toy_trainer:TRAINER"


def _ep(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_option_values_are_typed_and_bad_ones_name_the_parameter(tmp_path: Path) -> None:
    assert Option("epochs", int).coerce("3") == 3
    assert Option("lr", float).coerce("0.5") == 0.5
    assert Option("fast", bool).coerce("no") is False
    assert Option("fast", bool).coerce(True) is True
    assert Option("extra", Path).coerce("x/y.yml", tmp_path) == tmp_path / "x" / "y.yml"
    resolved = Option("extra", Path).coerce("models:trainers.py", tmp_path)
    assert resolved == Path(__file__).resolve().parents[2] / "models" / "trainers.py"
    with pytest.raises(TrainerError, match="parameter epochs: 'many' is not a valid int"):
        Option("epochs", int).coerce("many")
    with pytest.raises(TrainerError, match="parameter epochs"):
        Option("epochs", int).coerce(True)


def test_params_layer_defaults_config_and_command_line() -> None:
    trainer = toy_trainer.TRAINER
    assert trainer.params() == {"shift": 0.0, "steps": 3}
    layered = trainer.params({"shift": "0.25", "steps": 5}, {"steps": "7", "shift": None})
    assert layered == {"shift": 0.25, "steps": 7}
    with pytest.raises(TrainerError, match=r"no parameter 'epochs' \(known: shift, steps\)"):
        trainer.params({"epochs": 3})


def test_a_dotted_path_names_a_trainer_or_a_factory() -> None:
    assert load_trainer(TOY) is toy_trainer.TRAINER
    assert load_trainer("tests.helpers.toy_trainer:make_trainer") is toy_trainer.TRAINER
    with pytest.raises(TrainerError, match=re.escape("expected package.module:ATTRIBUTE")):
        load_trainer("tests.helpers.toy_trainer")
    with pytest.raises(TrainerError, match="cannot import no_such_pkg"):
        load_trainer("no_such_pkg.trainer:TRAINER")
    with pytest.raises(TrainerError, match="has no NOPE"):
        load_trainer("tests.helpers.toy_trainer:NOPE")
    with pytest.raises(TrainerError, match=re.escape("is a list, not a models.trainers.Trainer")):
        load_trainer("tests.helpers.toy_trainer:CALLS")


def test_configuration_and_entry_points_both_register_models(tmp_path: Path) -> None:
    registry = TrainerRegistry(
        [
            ModelSpec(
                "toy", TOY, data="toy.json", params={"shift": 1}, owner="alpha", base_dir=tmp_path
            )
        ],
        entry_points={"nlu": _ep("nlu", "models.nlu.trainer:TRAINER")},
    )
    assert registry.names() == ["nlu", "toy"]
    toy = registry.get("toy")
    assert toy.trainer is toy_trainer.TRAINER and toy.owner == "alpha"
    assert toy.params_with() == {"shift": 1.0, "steps": 3}
    assert toy.params_with({"shift": "2"}) == {"shift": 2.0, "steps": 3}
    (tmp_path / "toy.json").write_text("[[1, 1]]")
    assert toy.data_path() == tmp_path / "toy.json"  # relative to the configuration
    nlu = registry.get("nlu")
    assert nlu.trainer.name == "nlu" and nlu.source.startswith("entry point models.nlu.trainer")


def test_configuration_wins_and_may_only_give_an_installed_trainer_its_data(tmp_path: Path) -> None:
    registry = TrainerRegistry(
        [ModelSpec("nlu", TOY), ModelSpec("generation", data="domain.yml", base_dir=tmp_path)],
        entry_points={
            "nlu": _ep("nlu", "models.nlu.trainer:TRAINER"),
            "generation": _ep("generation", "models.generation.trainer:TRAINER"),
        },
    )
    assert registry.get("nlu").trainer is toy_trainer.TRAINER
    generation = registry.get("generation")
    assert generation.trainer.name == "generation" and generation.data == "domain.yml"
    orphan = TrainerRegistry([ModelSpec("orphan", data="x.yml")], entry_points={})
    with pytest.raises(TrainerError, match="names no trainer"):
        orphan.get("orphan")


def test_an_unknown_model_lists_the_known_ones() -> None:
    registry = TrainerRegistry([ModelSpec("toy", TOY)], entry_points={"nlu": _ep("nlu", "x:Y")})
    with pytest.raises(UnknownModel) as caught:
        registry.get("anomaly")
    assert caught.value.known == ["nlu", "toy"]
    assert "no trainer is registered for model 'anomaly'; known models: nlu, toy" in str(
        caught.value
    )


def test_a_model_configured_twice_is_refused() -> None:
    with pytest.raises(TrainerError, match="configured twice"):
        TrainerRegistry([ModelSpec("toy", TOY, owner="a"), ModelSpec("toy", TOY, owner="b")], {})


def test_a_broken_entry_point_says_which() -> None:
    registry = TrainerRegistry([], {"bad": _ep("bad", "no_such_pkg.mod:TRAINER")})
    with pytest.raises(TrainerError, match=re.escape("entry point bad = no_such_pkg.mod:TRAINER")):
        registry.get("bad")


def test_the_shipped_models_register_as_entry_points() -> None:
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text())["project"]["entry-points"][ENTRY_POINT_GROUP]
    registry = TrainerRegistry([], {n: _ep(n, v) for n, v in declared.items()})
    assert {"nlu", "generation"} <= set(registry.names())
    for name in ("nlu", "generation"):
        trainer = registry.get(name).trainer
        assert trainer.name == name and trainer.evaluate is not None and trainer.primary_metric


def test_missing_data_names_the_file(tmp_path: Path) -> None:
    registry = TrainerRegistry([ModelSpec("toy", TOY, data="absent.json", base_dir=tmp_path)], {})
    with pytest.raises(FileNotFoundError, match=re.escape("absent.json")):
        registry.get("toy").data_path()


def test_file_hash_follows_the_content(tmp_path: Path) -> None:
    data = tmp_path / "d.json"
    data.write_text(json.dumps([[1, 1]]))
    first = file_hash(data)
    data.write_text(json.dumps([[1, 0]]))
    assert file_hash(data) != first
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "a.txt").write_text("a")
    before = file_hash(folder)
    (folder / "b.txt").write_text("b")
    assert file_hash(folder) != before


async def test_the_registry_keeps_evaluations_with_the_version(tmp_path: Path) -> None:
    import migrations
    from models.db import create_engine
    from models.registry import ModelRegistry, RegistryError

    url = f"sqlite+aiosqlite:///{tmp_path / 'r.db'}"
    await asyncio.to_thread(migrations.upgrade, url)
    engine = create_engine(url)
    try:
        registry = ModelRegistry(engine)
        await registry.register("toy", "1", str(tmp_path / "m"), {"accuracy": 0.5}, "h")
        await registry.record_evaluation("toy", "1", "a.json", {"accuracy": 0.75})
        updated = await registry.record_evaluation("toy", "1", "b.json", {"accuracy": 0.25})
        assert updated.metrics["accuracy"] == 0.5  # training metrics stay
        assert updated.metrics["evaluations"] == {
            "a.json": {"accuracy": 0.75},
            "b.json": {"accuracy": 0.25},
        }
        with pytest.raises(RegistryError, match="no version 2"):
            await registry.record_evaluation("toy", "2", "a.json", {})
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class _Config:
    seed: int = 0
    learning_rate: float = 1e-3
    n_layer: int = 2
    warmup: float = 0.1  # no option sets it: keeps its default


def test_config_from_takes_fields_by_name_or_renamed_and_keeps_the_rest() -> None:
    params = {"seed": 7, "lr": 0.5, "layers": 3, "threads": 2}  # threads: not a field
    config = config_from(_Config, params, learning_rate="lr", n_layer="layers")
    assert config == _Config(seed=7, learning_rate=0.5, n_layer=3, warmup=0.1)
    assert config_from(_Config, {}) == _Config()
    with pytest.raises(TrainerError, match="_Config has no field 'lr'"):
        config_from(_Config, params, lr="lr")
    with pytest.raises(TrainerError, match="no parameter 'rate' for _Config"):
        config_from(_Config, params, learning_rate="rate")
