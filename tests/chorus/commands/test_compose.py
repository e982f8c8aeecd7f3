"""`chorus compose` and `chorus check` through typer, on files in a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from chorus.commands.compose import register
from tests.helpers.compose import load_fixture


@pytest.fixture
def app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:  # keep sub-commands as sub-commands
        pass

    return app


def _write_config(tmp_path: Path, fixture_name: str) -> Path:
    fixture = load_fixture(fixture_name)
    lines = ["federation_version: =2.3.2", "subgraphs:"]
    for s in fixture.subgraphs:
        (tmp_path / f"{s.name}.graphql").write_text(s.sdl)
        lines += [
            f"  {s.name}:",
            f"    routing_url: {s.url}",
            "    schema:",
            f"      file: {s.name}.graphql",
        ]
    config = tmp_path / "supergraph.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def test_compose_writes_the_supergraph(app: typer.Typer, tmp_path: Path) -> None:
    config = _write_config(tmp_path, "pipeline")
    out = tmp_path / "supergraph.graphql"
    result = CliRunner().invoke(app, ["compose", "--config", str(config), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert '@join__graph(name: "nlu"' in out.read_text()


def test_compose_prints_to_stdout(app: typer.Typer, tmp_path: Path) -> None:
    config = _write_config(tmp_path, "pipeline")
    result = CliRunner().invoke(app, ["compose", "--config", str(config)])
    assert result.exit_code == 0
    assert result.stdout.startswith("schema\n")


def test_compose_failure_lists_every_error(app: typer.Typer, tmp_path: Path) -> None:
    config = _write_config(tmp_path, "err_enum_value_mismatch")
    result = CliRunner().invoke(app, ["compose", "--config", str(config)])
    assert result.exit_code == 1
    assert "ENUM_VALUE_MISMATCH" in result.stderr
    assert '"Status"' in result.stderr


def test_check_reports_breaking_change(app: typer.Typer, tmp_path: Path) -> None:
    config = _write_config(tmp_path, "pipeline")
    proposed = (
        (tmp_path / "nlu.graphql")
        .read_text()
        .replace(
            "understand(text: String!): Understanding!", "analyse(text: String!): Understanding!"
        )
    )
    (tmp_path / "proposed.graphql").write_text(proposed)
    result = CliRunner().invoke(
        app,
        [
            "check",
            "--subgraph",
            "nlu",
            "--schema",
            str(tmp_path / "proposed.graphql"),
            "--config",
            str(config),
        ],
    )
    assert result.exit_code == 1
    assert "BREAKING FIELD_REMOVED: Field Query.understand was removed." in result.stdout


def test_check_passes_additive_and_reports_dangerous(app: typer.Typer, tmp_path: Path) -> None:
    config = _write_config(tmp_path, "pipeline")
    proposed = (
        (tmp_path / "nlu.graphql")
        .read_text()
        .replace("understand(text: String!)", 'understand(text: String!, lang: String = "en")')
    )
    (tmp_path / "proposed.graphql").write_text(proposed)
    result = CliRunner().invoke(
        app,
        [
            "check",
            "--subgraph",
            "nlu",
            "--schema",
            str(tmp_path / "proposed.graphql"),
            "--config",
            str(config),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "DANGEROUS" not in result.stdout or "OPTIONAL_ARG_ADDED" in result.stdout


def test_check_catches_an_unreachable_value_type_field(app: typer.Typer, tmp_path: Path) -> None:
    """Generation stops declaring ModelRef.version: dialogue and nlu still do, but
    `... reply { model { version } }` is resolved by generation and ModelRef is no entity,
    so no plan could reach it."""
    config = _write_config(tmp_path, "pipeline")
    proposed = (
        (tmp_path / "generation.graphql")
        .read_text()
        .replace(
            "type ModelRef @shareable { name: String!  version: String! }",
            "type ModelRef @shareable { name: String! }",
        )
    )
    (tmp_path / "proposed.graphql").write_text(proposed)
    result = CliRunner().invoke(
        app,
        [
            "check",
            "--subgraph",
            "generation",
            "--schema",
            str(tmp_path / "proposed.graphql"),
            "--config",
            str(config),
        ],
    )
    assert result.exit_code == 1
    assert "SATISFIABILITY_ERROR" in result.stderr
    assert "      reply {" in result.stderr


def test_check_with_a_non_composing_proposal(app: typer.Typer, tmp_path: Path) -> None:
    config = _write_config(tmp_path, "pipeline")
    proposed = (
        (tmp_path / "nlu.graphql").read_text().replace("type ModelRef @shareable", "type ModelRef")
    )
    (tmp_path / "proposed.graphql").write_text(proposed)
    result = CliRunner().invoke(
        app,
        [
            "check",
            "--subgraph",
            "nlu",
            "--schema",
            str(tmp_path / "proposed.graphql"),
            "--config",
            str(config),
        ],
    )
    assert result.exit_code == 1
    assert "INVALID_FIELD_SHARING" in result.stderr
