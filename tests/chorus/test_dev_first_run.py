"""The first run of `chorus dev` trains the models the started subgraphs declare, once."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from chorus import bootstrap
from chorus.config import load_config
from chorus.selection import stack_subset
from tests.helpers.stacks import TOY_TRAINER, child_env, write_stack, write_toy_data


def _production(url: str, name: str) -> Any:
    from models.db import create_engine
    from models.registry import ModelRegistry

    async def fetch() -> Any:
        engine = create_engine(url)
        try:
            return await ModelRegistry(engine).production(name)
        finally:
            await engine.dispose()

    return asyncio.run(fetch())


def test_first_run_trains_what_the_config_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in child_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    write_toy_data(tmp_path / "toy.json")
    path = write_stack(
        tmp_path,
        {
            "alpha": {
                "app": "tests.helpers.tiny_subgraphs:alpha_app",
                "port": 4921,
                "models": {"toy": {"trainer": TOY_TRAINER, "data": "toy.json"}},
            },
            "beta": {
                "app": "tests.helpers.tiny_subgraphs:beta_app",
                "port": 4922,
                "models": {"toy-b": {"trainer": TOY_TRAINER, "data": "toy.json"}},
            },
        },
    )
    config = load_config(path)
    (tmp_path / "data").mkdir()
    bootstrap.migrate(config)
    url = config.resolved_database_url()
    console = Console(file=io.StringIO(), width=200)

    # Only the started subgraph's model is trained, nothing else (no nlu, no generation).
    assert bootstrap.ensure_models(stack_subset(config, ["alpha"]), console) == ["toy"]
    toy = _production(url, "toy")
    assert toy is not None and Path(toy.path).parent == tmp_path / "data" / "models" / "toy"
    assert _production(url, "toy-b") is None
    for name in ("nlu", "generation"):
        assert _production(url, name) is None

    # The next run trains only what is still missing.
    assert bootstrap.ensure_models(config, console) == ["toy-b"]
    assert bootstrap.ensure_models(config, console) == []
    assert _production(url, "toy").version == toy.version
