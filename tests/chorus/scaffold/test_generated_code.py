"""The generated Python passes `ruff check` and `ruff format --check` as written, for short and
longest names, with and without an entity extension; and its own tests pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chorus.scaffold import EntityExtension, Feature, SubgraphPackage, context, plan_subgraph
from chorus.scaffold.entities import Entity, EntityField
from tests.helpers.workflow import REPO

# a compound key, a camelCase nullable list and a boolean: every branch of the stub's rendering
ENTITY = Entity(
    "LongEntityTypeNameForTest",
    "orders",
    "someId otherKey",
    (EntityField("someId", "ID!", "strawberry.ID", "1"), EntityField("otherKey", "Int!", "int", 3)),
    (
        EntityField("longRequiredFieldName", "[String!]", "list[str] | None", ["sample text"]),
        EntityField("flag", "Boolean!", "bool", True),
    ),
)


def _write(root: Path, name: str, extend: bool) -> None:
    shutil.copy(REPO / "chorus.yaml", root / "chorus.yaml")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")  # ruff settings
    (root / "subgraphs").mkdir()
    (root / "subgraphs" / "__init__.py").write_text("")
    features: list[Feature] = [SubgraphPackage()]
    if extend:
        features.append(EntityExtension(ENTITY, "aLongNewFieldNameForTest"))
    plan = plan_subgraph(context(root, name), features)
    for path, text in plan.files.items():
        if path.suffix == ".py":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


@pytest.mark.parametrize("extend", [False, True])
@pytest.mark.parametrize("name", ["ab", "abcdefghij_klmnopqrst_uvwxyz12"])
def test_generated_code_is_lint_clean_and_formatted(
    tmp_path: Path, name: str, extend: bool
) -> None:
    _write(tmp_path, name, extend)
    for args in (["check"], ["format", "--check", "--diff"]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "subgraphs", "tests"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_generated_extension_tests_pass(tmp_path: Path) -> None:
    _write(tmp_path, "orders_plus", extend=True)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        env={"PYTHONPATH": f"{tmp_path}:{REPO}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "5 passed" in result.stdout
    schema = (tmp_path / "subgraphs/orders_plus/schema.py").read_text()
    assert "long_required_field_name: list[str] | None = strawberry.federation.field(" in schema
    assert 'requires=["longRequiredFieldName", "flag"],' in schema
    assert '@strawberry.federation.type(keys=["someId otherKey"])' in schema
