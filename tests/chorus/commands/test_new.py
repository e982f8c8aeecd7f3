"""`chorus new subgraph`: names, refusals and comment-preserving YAML edits (no processes)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from chorus.cli import app
from chorus.scaffold import ScaffoldError
from chorus.scaffold.names import check_name, placeholders
from chorus.scaffold.yaml_text import add_mapping_entry
from tests.helpers.workflow import REPO

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of this repository's chorus.yaml and an empty subgraphs/ package."""
    shutil.copy(REPO / "chorus.yaml", tmp_path / "chorus.yaml")
    (tmp_path / "subgraphs").mkdir()
    (tmp_path / "subgraphs" / "__init__.py").write_text("")
    return tmp_path


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in root.rglob("*") if p.is_file()}


def new(project: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["new", "subgraph", *args, "--project", str(project)])


def test_scaffold_writes_package_test_and_config_entries(project: Path) -> None:
    before = (project / "chorus.yaml").read_text()
    result = new(project, "inventory")
    assert result.exit_code == 0, result.output
    for rel in (
        "subgraphs/inventory/__init__.py",
        "subgraphs/inventory/schema.py",
        "subgraphs/inventory/app.py",
        "tests/subgraphs/inventory/test_inventory.py",
    ):
        assert (project / rel).is_file(), rel
    after = (project / "chorus.yaml").read_text()
    # only lines were added: every original line, comments included, is still there in order
    assert after.startswith(before.rstrip("\n"))
    data = yaml.safe_load(after)
    assert data["subgraphs"]["inventory"] == {
        "app": "subgraphs.inventory.app:create_app",
        "port": 4009,  # one above the highest port in chorus.yaml
    }
    rover = yaml.safe_load((project / "supergraph.yaml").read_text())
    assert set(rover["subgraphs"]) == {
        *("nlu", "dialogue", "generation"),
        *("ingestion", "features", "anomaly", "alerting"),
        "training",
        "inventory",
    }
    assert rover["subgraphs"]["dialogue"] == {
        "routing_url": "http://127.0.0.1:4002/graphql",
        "schema": {"subgraph_url": "http://127.0.0.1:4002/graphql"},
    }
    schema = (project / "subgraphs/inventory/schema.py").read_text()
    assert '@strawberry.federation.type(\n    keys=["id"],' in schema
    assert "class InventoryItem" in schema
    assert "subgraphs.kit import create_app" in (project / "subgraphs/inventory/app.py").read_text()


def test_existing_supergraph_yaml_gets_an_entry_and_keeps_its_comments(project: Path) -> None:
    original = (
        "# composed by CI\nfederation_version: =2.11.0\nsubgraphs:\n"
        "    # the first team\n    products:\n        routing_url: http://p:4001/graphql\n"
        "        schema:\n            file: ./products.graphql   # checked in\n"
        "# trailing note\n"
    )
    (project / "supergraph.yaml").write_text(original)
    result = new(project, "user_profiles", "--port", "4100")
    assert result.exit_code == 0, result.output
    text = (project / "supergraph.yaml").read_text()
    assert "# the first team" in text and "# checked in" in text and "# trailing note" in text
    data = yaml.safe_load(text)
    assert data["subgraphs"]["products"]["schema"] == {"file": "./products.graphql"}
    assert data["subgraphs"]["user_profiles"] == {
        "routing_url": "http://127.0.0.1:4100/graphql",
        "schema": {"subgraph_url": "http://127.0.0.1:4100/graphql"},
    }
    assert "    user_profiles:\n        routing_url:" in text  # the file's own indentation
    names = placeholders("user_profiles")
    assert names["type_name"] == "UserProfilesItem" and names["field"] == "userProfilesItem"


@pytest.mark.parametrize(
    "name",
    [
        "Inventory",
        "9lives",
        "with-dash",
        "double__underscore",
        "trailing_",
        "class",
        "kit",
        "x" * 31,
    ],
)
def test_invalid_names_are_refused_and_nothing_is_written(project: Path, name: str) -> None:
    before = _snapshot(project)
    result = new(project, name)
    assert result.exit_code == 2
    assert "cannot create subgraph" in result.output
    assert _snapshot(project) == before


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        (lambda p: None, ["nlu"], "chorus.yaml already has a subgraph named 'nlu'"),
        (lambda p: (p / "subgraphs" / "orders").mkdir(), ["orders"], "subgraphs/orders already"),
        (
            lambda p: (p / "tests" / "subgraphs" / "orders").mkdir(parents=True),
            ["orders"],
            "tests/subgraphs/orders",
        ),
        (lambda p: None, ["orders", "--port", "4002"], "port 4002 is already used by subgraph"),
        (lambda p: None, ["orders", "--port", "4000"], "already used by the router"),
        (lambda p: (p / "chorus.yaml").unlink(), ["orders"], "no chorus.yaml"),
    ],
)
def test_clashes_are_refused_and_nothing_is_written(project: Path, setup, args, message) -> None:  # type: ignore[no-untyped-def]
    setup(project)
    before = _snapshot(project)
    result = new(project, *args)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()), result.output
    assert _snapshot(project) == before


def test_a_second_scaffold_takes_the_next_port(project: Path) -> None:
    assert new(project, "orders").exit_code == 0
    assert new(project, "payments").exit_code == 0
    data = yaml.safe_load((project / "chorus.yaml").read_text())
    assert data["subgraphs"]["orders"]["port"] == 4009
    assert data["subgraphs"]["payments"]["port"] == 4010
    rover = yaml.safe_load((project / "supergraph.yaml").read_text())
    assert list(rover["subgraphs"])[-2:] == ["orders", "payments"]


@pytest.mark.parametrize(
    ("text", "expected_tail"),
    [
        ("a: 1\n", "subgraphs:\n  new:\n    port: 1\n"),
        ("subgraphs: {}   # none yet\nz: 2\n", None),
        ("subgraphs:\n  old:\n    port: 2\n\n# about z\nz: 3", None),
        ("subgraphs:\n\t\n", None),
    ],
)
def test_add_mapping_entry_keeps_text_and_parses_to_the_intended_data(
    text: str, expected_tail: str | None
) -> None:
    try:
        result = add_mapping_entry(text, "subgraphs", "new", {"port": 1})
    except ScaffoldError as exc:  # refusing is allowed, silently writing wrong data is not
        assert "add it by hand" in str(exc)
        return
    data = yaml.safe_load(result)
    assert data["subgraphs"]["new"] == {"port": 1}
    original = yaml.safe_load(text)
    for key, value in original.items():
        if key != "subgraphs":
            assert data[key] == value
    if expected_tail is not None:
        assert result.endswith(expected_tail)
    for line in text.splitlines():
        if line.strip().startswith("#"):
            assert line.strip() in result


def test_check_name_accepts_snake_case() -> None:
    for name in ("inventory", "user_profiles", "v2", "a1_b2"):
        check_name(name)


def test_package_puts_an_applications_subgraph_in_its_package(project: Path) -> None:
    result = new(project, "ledger", "--package", "apps.shop.ledger")
    assert result.exit_code == 0, result.output
    for rel in (
        "apps/__init__.py",  # missing parent packages are created
        "apps/shop/__init__.py",
        "apps/shop/ledger/app.py",
        "apps/shop/ledger/schema.py",
        "tests/apps/shop/ledger/test_ledger.py",
    ):
        assert (project / rel).is_file(), rel
    assert not (project / "subgraphs" / "ledger").exists()
    app_py = (project / "apps/shop/ledger/app.py").read_text()
    assert "from apps.shop.ledger.schema import build_schema" in app_py
    test_py = (project / "tests/apps/shop/ledger/test_ledger.py").read_text()
    assert "from apps.shop.ledger.app import create_app" in test_py
    data = yaml.safe_load((project / "chorus.yaml").read_text())
    assert data["subgraphs"]["ledger"]["app"] == "apps.shop.ledger.app:create_app"


@pytest.mark.parametrize(
    "package", ["apps.Shop.ledger", "apps..ledger", "models.ledger", "a.class"]
)
def test_invalid_packages_are_refused_and_nothing_is_written(project: Path, package: str) -> None:
    before = _snapshot(project)
    result = new(project, "ledger", "--package", package)
    assert result.exit_code == 2, result.output
    assert "--package" in result.output
    assert _snapshot(project) == before
