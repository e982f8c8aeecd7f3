"""docker/seed_models.py for real: a build-time SQLite registry exported, then seeded into
a migrated deployment database (SQLite and PostgreSQL), as the image and the migration Job do."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import migrations
from models.db import create_engine
from models.registry import ModelRegistry
from tests.helpers.deploy import DOCKER, load_script
from tests.helpers.stack_migrations import stack_histories

seed_models = load_script(DOCKER / "seed_models.py")


async def _registry_rows(url: str) -> dict[tuple[str, str], tuple[str, str]]:
    engine = create_engine(url)
    try:
        rows = await ModelRegistry(engine).list()
    finally:
        await engine.dispose()
    return {(m.name, m.version): (m.stage, m.path) for m in rows}


@pytest.fixture
async def baked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, list[dict[str, object]]]:
    """A 'models stage': artefact folders and a build-time registry, exported to a manifest."""
    data = tmp_path / "baked"
    monkeypatch.setenv("CHORUS_DATA_DIR", str(data))  # relative registry paths resolve here
    url = f"sqlite+aiosqlite:///{data / 'chorus.db'}"
    await asyncio.to_thread(migrations.upgrade, url, owners=stack_histories())
    engine = create_engine(url)
    try:
        registry = ModelRegistry(engine)
        for name, version in (("nlu", "v1"), ("nlu", "v2"), ("generation", "g1")):
            (data / "models" / name / version).mkdir(parents=True)
            (data / "models" / name / version / "weights.bin").write_bytes(b"\0")
        # absolute path, as `chorus train` writes it; and one relative to the data dir
        await registry.register("nlu", "v1", str(data / "models/nlu/v1"), {"f1": 0.9}, "h1")
        await registry.register("nlu", "v2", str(data / "models/nlu/v2"), {"f1": 0.8}, "h2")
        await registry.register("generation", "g1", "models/generation/g1", {}, "h3")
        await registry.promote("nlu", "v1")  # production is not the latest one
    finally:
        await engine.dispose()
    manifest = data / "registry.json"
    entries = await seed_models.export(url, manifest, data)
    assert json.loads(manifest.read_text()) == entries
    return data, entries


async def test_export_writes_absolute_paths_that_exist(
    baked: tuple[Path, list[dict[str, object]]],
) -> None:
    data, entries = baked
    by_key = {(e["name"], e["version"]): e for e in entries}
    assert set(by_key) == {("nlu", "v1"), ("nlu", "v2"), ("generation", "g1")}
    assert by_key["generation", "g1"]["path"] == str(data / "models/generation/g1")
    assert all(Path(str(e["path"])).is_dir() for e in entries)
    assert by_key["nlu", "v1"]["stage"] == "production"
    assert by_key["nlu", "v1"]["metrics"] == {"f1": 0.9}


async def test_seed_into_sqlite(
    baked: tuple[Path, list[dict[str, object]]], sqlite_url: str
) -> None:
    await _seed_scenario(sqlite_url, *baked)


async def test_seed_into_postgres(baked: tuple[Path, list[dict[str, object]]], pg_url: str) -> None:
    await _seed_scenario(pg_url, *baked)


async def _seed_scenario(url: str, data: Path, entries: list[dict[str, object]]) -> None:
    await asyncio.to_thread(migrations.upgrade, url, owners=stack_histories())
    done = await seed_models.seed(url, entries, "missing")
    assert sorted(done) == sorted(
        [
            "registered nlu v1",
            "registered nlu v2",
            "registered generation g1",
            "promoted nlu v1",  # the build's production version, not the latest
            "promoted generation g1",  # no production in the build: the latest
        ]
    )
    rows = await _registry_rows(url)
    assert rows["nlu", "v1"] == ("production", str(data / "models/nlu/v1"))
    assert rows["nlu", "v2"][0] == "candidate"
    assert rows["generation", "g1"] == ("production", str(data / "models/generation/g1"))

    # a second deploy of the same image changes nothing
    assert await seed_models.seed(url, entries, "missing") == []

    # a team promoted another loadable version: `missing` keeps it, `always` overrides it
    engine = create_engine(url)
    try:
        await ModelRegistry(engine).promote("nlu", "v2")
    finally:
        await engine.dispose()
    assert await seed_models.seed(url, entries, "missing") == []
    assert (await _registry_rows(url))["nlu", "v2"][0] == "production"
    assert await seed_models.seed(url, entries, "always") == ["promoted nlu v1"]

    # production points at an artefact this image does not have (an older image's): replaced
    engine = create_engine(url)
    try:
        registry = ModelRegistry(engine)
        await registry.register("nlu", "old", "/nonexistent/models/nlu/old", {}, "h0")
        await registry.promote("nlu", "old")
    finally:
        await engine.dispose()
    assert await seed_models.seed(url, entries, "never") == []
    assert await seed_models.seed(url, entries, "missing") == ["promoted nlu v1"]
    rows = await _registry_rows(url)
    assert rows["nlu", "old"][0] == "archived" and rows["nlu", "v1"][0] == "production"


async def test_seed_refuses_a_manifest_whose_artefacts_are_missing(
    baked: tuple[Path, list[dict[str, object]]], tmp_path: Path
) -> None:
    data, entries = baked
    (data / "models/generation/g1/weights.bin").unlink()
    (data / "models/generation/g1").rmdir()
    url = f"sqlite+aiosqlite:///{tmp_path / 'deploy.db'}"
    await asyncio.to_thread(migrations.upgrade, url, owners=stack_histories())
    with pytest.raises(FileNotFoundError, match="generation/g1"):
        await seed_models.seed(url, entries, "missing")
    assert await _registry_rows(url) == {}


async def test_wait_reports_what_a_subgraph_still_lacks(
    baked: tuple[Path, list[dict[str, object]]], pg_url: str
) -> None:
    _, entries = baked
    lacking = await seed_models.missing(pg_url, ["nlu"])
    assert len(lacking) == 1 and lacking[0].startswith("database not ready")
    await asyncio.to_thread(migrations.upgrade, pg_url, "0001")  # the framework's history only
    assert (await seed_models.missing(pg_url, []))[0].startswith("database: dialogue at base")
    await asyncio.to_thread(migrations.upgrade, pg_url, owners=stack_histories())
    assert await seed_models.missing(pg_url, []) == []  # dialogue needs migrations only
    assert await seed_models.missing(pg_url, ["nlu", "generation"]) == [
        "no production version of nlu with its artefact in this image",
        "no production version of generation with its artefact in this image",
    ]
    assert len(await seed_models.wait(pg_url, ["nlu"], timeout=0.3, interval=0.1)) == 1
    await seed_models.seed(pg_url, entries, "missing")
    assert await seed_models.wait(pg_url, ["nlu", "generation"], timeout=5) == []


def test_cli_arguments_used_by_compose_and_k8s_parse() -> None:
    """The argv that compose's seed-models service and the k8s Job pass is accepted."""
    from tests.helpers.deploy import K8S, k8s_documents, load_compose

    compose_argv = load_compose()["services"]["seed-models"]["command"]
    job = k8s_documents(K8S / "migrate-job.yaml")[0]
    container = job["spec"]["template"]["spec"]["containers"][0]
    for argv in (compose_argv, container["args"]):
        args = seed_models.build_parser().parse_args(argv)
        assert args.command == "seed" and args.promote == "missing"
    with pytest.raises(SystemExit):
        seed_models.build_parser().parse_args(["seed", "--promote", "sometimes"])
    from subgraphs.generation.settings import GenerationSettings
    from subgraphs.nlu.settings import NLUSettings

    # the registry names the subgraphs load by default (dialogue serves no model)
    served = {
        "nlu": [NLUSettings().model_name],
        "dialogue": [],
        "generation": [GenerationSettings().generation_model_name],
    }
    for name, models in served.items():
        deployment = k8s_documents(K8S / f"{name}.yaml")[0]
        (init,) = deployment["spec"]["template"]["spec"]["initContainers"]
        assert init["command"] == ["python", "/opt/chorus/bin/seed_models.py"]
        args = seed_models.build_parser().parse_args(init["args"])
        assert args.command == "wait" and args.model == models
