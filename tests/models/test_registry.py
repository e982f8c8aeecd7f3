"""The model registry on both databases: register, promote, list."""

from __future__ import annotations

import asyncio

import pytest

import migrations
from models.db import create_engine
from models.registry import ModelRegistry, RegistryError


async def test_register_promote_and_list(db_url: str) -> None:
    await asyncio.to_thread(migrations.upgrade, db_url, "0001")
    engine = create_engine(db_url)
    try:
        registry = ModelRegistry(engine)
        assert await registry.production("nlu") is None
        await registry.register("nlu", "v1", "/m/nlu/v1", {"intent_f1": 0.9}, "abc")
        await registry.register("nlu", "v2", "/m/nlu/v2", {"intent_f1": 0.95}, "abd")
        assert await registry.production("nlu") is None
        assert (await registry.latest("nlu")).version == "v2"  # type: ignore[union-attr]

        await registry.promote("nlu", "v1")
        prod = await registry.production("nlu")
        assert prod is not None and prod.version == "v1" and prod.metrics == {"intent_f1": 0.9}

        await registry.promote("nlu", "v2")
        stages = {m.version: m.stage for m in await registry.list("nlu")}
        assert stages == {"v1": "archived", "v2": "production"}

        with pytest.raises(RegistryError, match="already registered"):
            await registry.register("nlu", "v2", "/x", {}, "h")
        with pytest.raises(RegistryError, match="no version v9"):
            await registry.promote("nlu", "v9")
        with pytest.raises(RegistryError, match="unknown stage"):
            await registry.register("nlu", "v3", "/x", {}, "h", stage="shiny")
    finally:
        await engine.dispose()


async def test_artefacts_inside_the_data_dir_move_with_it(
    sqlite_url: str, tmp_path, monkeypatch
) -> None:
    await asyncio.to_thread(migrations.upgrade, sqlite_url, "0001")
    first = tmp_path / "first"
    monkeypatch.setenv("CHORUS_DATA_DIR", str(first))
    engine = create_engine(sqlite_url)
    try:
        registry = ModelRegistry(engine)
        inside = await registry.register("nlu", "v1", str(first / "models/nlu/v1"), {}, "h")
        outside = await registry.register("gen", "v1", "/opt/models/gen", {}, "h")
        assert inside.path == str((first / "models/nlu/v1").resolve())
        moved = tmp_path / "moved"
        monkeypatch.setenv("CHORUS_DATA_DIR", str(moved))
        assert (await registry.get("nlu", "v1")).path == str((moved / "models/nlu/v1").resolve())
        assert (await registry.get("gen", "v1")).path == outside.path == "/opt/models/gen"
    finally:
        await engine.dispose()
