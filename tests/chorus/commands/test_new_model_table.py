"""`chorus new subgraph NAME --model --table [--extends TYPE --requires FIELD]`.

The fast tests check what is written (files, the `models:` entry, the migration
history) in a project holding chorus.yaml and an empty subgraphs/ package. The
slow one scaffolds into a copy of the repository and runs there what a team
would: `chorus migrate`, `chorus train NAME` (a version is registered), the
generated tests and `tests/docker`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from chorus.cli import app
from chorus.scaffold import (
    EntityExtension,
    Feature,
    ModelFeature,
    SubgraphPackage,
    TableFeature,
    context,
    plan_subgraph,
)
from chorus.scaffold.entities import Entity, EntityField
from chorus.scaffold.python_source import import_block
from tests.chorus.commands.test_new_deploy import _copy_repository
from tests.helpers.workflow import REPO

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(REPO / "chorus.yaml", tmp_path / "chorus.yaml")
    (tmp_path / "subgraphs").mkdir()
    (tmp_path / "subgraphs" / "__init__.py").write_text("")
    return tmp_path


def new(project: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["new", "subgraph", *args, "--project", str(project)])


def test_model_and_table_write_their_files_and_the_trainer_entry(project: Path) -> None:
    result = new(project, "tone", "--model", "--table")
    assert result.exit_code == 0, result.output
    package = project / "subgraphs" / "tone"
    for rel in (
        "model.py",
        "trainer.py",
        "data/train.yml",
        "tables.py",
        "store.py",
        "migrations/__init__.py",
        "migrations/0001_create_tone_records.py",
    ):
        assert (package / rel).is_file(), rel
    tests = project / "tests" / "subgraphs" / "tone"
    assert {p.name for p in tests.iterdir()} == {
        "conftest.py",
        "test_tone.py",
        "test_model.py",
        "test_table.py",
        "test_through_router.py",
    }
    entry = yaml.safe_load((project / "chorus.yaml").read_text())["subgraphs"]["tone"]
    assert entry["models"] == {
        "tone": {
            "trainer": "subgraphs.tone.trainer:TRAINER",
            "data": "subgraphs.tone:data/train.yml",
        }
    }
    app_source = (package / "app.py").read_text()
    assert "models=[classifier]" in app_source and "on_startup=[store.start]" in app_source
    schema = (package / "schema.py").read_text()
    assert "reload_tone_model = reload_mutation(classifier)" in schema
    assert "async def record_tone(" in schema and "prediction = await predict(text)" in schema
    revision = (package / "migrations" / "0001_create_tone_records.py").read_text()
    assert 'revision = "0001"' in revision and "down_revision = None" in revision
    assert 'sa.Column("model_version"' in revision
    conftest = (tests / "conftest.py").read_text()
    assert 'migrations.upgrade(url, owners=["subgraphs.tone"])' in conftest
    for step in ("chorus migrate", "chorus train tone"):
        assert step in result.output


def test_a_table_without_a_model_stores_texts(project: Path) -> None:
    result = new(project, "notes", "--table")
    assert result.exit_code == 0, result.output
    package = project / "subgraphs" / "notes"
    assert not (package / "model.py").exists()
    assert "model_version" not in (package / "tables.py").read_text()
    assert (
        "models" not in yaml.safe_load((project / "chorus.yaml").read_text())["subgraphs"]["notes"]
    )
    assert "store.add(text)" in (package / "schema.py").read_text()


def test_imports_from_one_module_are_merged_and_wrapped() -> None:
    block = import_block(
        [
            "from subgraphs.kit import user_error",
            "from subgraphs.kit import ModelRef, reload_mutation",
            "from models.trainers import Evaluation, Option, Trainer, TrainJob, TrainProgress",
            "from models.trainers import TrainResult, file_hash",
            "import strawberry",
        ]
    )
    assert block == (
        "import strawberry\n\n"
        "from models.trainers import (\n    Evaluation,\n    Option,\n    Trainer,\n    TrainJob,\n"
        "    TrainProgress,\n    TrainResult,\n    file_hash,\n)\n"
        "from subgraphs.kit import ModelRef, reload_mutation, user_error"
    )


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="no git")
def test_a_model_and_table_subgraph_trains_and_stays_green(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    _copy_repository(copy)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")},
        "PYTHONPATH": str(copy),
        "CHORUS_DATA_DIR": str(tmp_path / "data"),
    }

    def run(*argv: str, timeout: int = 300) -> str:
        result = subprocess.run(
            [sys.executable, *argv],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
        return result.stdout + result.stderr

    run("-m", "chorus", "new", "subgraph", "tone", "--model", "--table")
    run(
        "-m",
        "chorus",
        "new",
        "subgraph",
        "mood",
        "--model",
        "--table",
        "--extends",
        "Turn",
        "--requires",
        "text",
    )
    supergraph = (copy / "docker/k8s/supergraph.graphql").read_text()
    assert 'mood: MoodPrediction @join__field(graph: MOOD, requires: "text")' in supergraph

    migrated = run("-m", "chorus", "migrate")
    assert "tone" in migrated and "mood" in migrated
    trained = run("-m", "chorus", "train", "mood")
    assert "registered mood" in trained and "as production" in trained
    listed = run("-m", "chorus", "models", "list")
    assert "mood" in listed and "production" in listed

    generated = ["subgraphs/tone", "subgraphs/mood", "tests/subgraphs/tone", "tests/subgraphs/mood"]
    run("-m", "ruff", "check", *generated)
    run("-m", "ruff", "format", "--check", *generated)
    tests = run(
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/docker",
        *generated[2:],
        timeout=900,
    )
    assert " failed" not in tests and " error" not in tests and "passed" in tests


@pytest.mark.parametrize("name", ["ab", "abcdefghij_klmnopqrst_uvwxyz12"])
def test_generated_model_and_table_code_is_lint_clean(tmp_path: Path, name: str) -> None:
    shutil.copy(REPO / "chorus.yaml", tmp_path / "chorus.yaml")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")  # ruff settings
    (tmp_path / "subgraphs").mkdir()
    (tmp_path / "subgraphs" / "__init__.py").write_text("")
    entity = Entity(
        "Turn",
        "dialogue",
        "id",
        (EntityField("id", "ID!", "strawberry.ID", "1"),),
        (EntityField("text", "String!", "str", "sample text"),),
    )
    features: list[Feature] = [
        SubgraphPackage(),
        ModelFeature(),
        TableFeature(model=True),
        EntityExtension(entity, "abcdefghijKlmnopqrstUvwxyzAbcd", model=True),
    ]
    plan = plan_subgraph(context(tmp_path, name), features)
    for path, text in plan.files.items():
        if path.suffix == ".py":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    # in the project these packages are there: ruff sorts their imports as first-party
    known = '["chorus", "migrations", "models", "router", "subgraphs.kit"]'
    first_party = f"lint.isort.known-first-party = {known}"
    for args in (["check", "--config", first_party], ["format", "--check", "--diff"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "subgraphs", "tests"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr
