"""`chorus compose` / `chorus check` from chorus.yaml without any subgraph running."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chorus.cli import app
from chorus.config import load_config
from chorus.schemas import SchemaUnavailable, subgraph_sdl
from tests.helpers.stacks import REPO, child_env, write_stack

BETA_SDL = """\
type Query {
  beta: Int!
  betaName(id: ID!): String
}
"""


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "beta.graphql").write_text(BETA_SDL)
    return write_stack(
        tmp_path,
        {
            # nothing listens on these ports: the SDLs come from code and from a file
            "alpha": {"app": "tests.helpers.tiny_subgraphs:alpha_app", "port": 4931},
            "beta": {"app": "no_such_module:app", "port": 4932, "sdl": "schemas/beta.graphql"},
        },
    )


def test_compose_prints_the_supergraph_from_code_and_files(stack: Path) -> None:
    result = CliRunner().invoke(app, ["compose", "--stack", str(stack)])
    assert result.exit_code == 0, result.output
    sdl = result.stdout
    assert '@join__graph(name: "alpha", url: "http://127.0.0.1:4931/graphql")' in sdl
    assert '@join__graph(name: "beta", url: "http://127.0.0.1:4932/graphql")' in sdl
    assert "alpha: String!" in sdl and "betaName(id: ID!): String" in sdl


def test_compose_reads_chorus_yaml_of_the_working_directory(stack: Path, tmp_path: Path) -> None:
    out = tmp_path / "supergraph.graphql"
    result = subprocess.run(
        [sys.executable, "-m", "chorus", "compose", "--output", str(out)],
        cwd=tmp_path,
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '@join__graph(name: "alpha"' in out.read_text()


def test_check_compares_a_proposed_schema_with_the_stack(stack: Path, tmp_path: Path) -> None:
    proposed = tmp_path / "beta-next.graphql"
    proposed.write_text(BETA_SDL.replace("  betaName(id: ID!): String\n", ""))
    result = CliRunner().invoke(
        app, ["check", "--stack", str(stack), "--subgraph", "beta", "--schema", str(proposed)]
    )
    assert result.exit_code == 1, result.output
    assert "BREAKING" in result.stdout and "betaName" in result.stdout
    proposed.write_text(BETA_SDL + "extend type Query { betaCount: Int }\n")
    result = CliRunner().invoke(
        app, ["check", "--stack", str(stack), "--subgraph", "beta", "--schema", str(proposed)]
    )
    assert result.exit_code == 0, result.output
    assert "beta: composes" in result.stdout


def test_a_subgraph_without_schema_is_a_clear_error(tmp_path: Path) -> None:
    config = write_stack(tmp_path, {"ghost": {"app": "no_such_module:app", "port": 4933}})
    result = CliRunner().invoke(app, ["compose", "--stack", str(config)])
    assert result.exit_code == 2
    assert "subgraph ghost: cannot build no_such_module:app" in result.stderr
    with pytest.raises(SchemaUnavailable, match="cannot read sdl"):
        cfg = load_config(
            write_stack(tmp_path, {"g": {"app": "x:y", "port": 1, "sdl": "no.graphql"}})
        )
        subgraph_sdl("g", cfg.subgraphs["g"], cfg)


def test_the_repository_stack_composes_in_process() -> None:
    """The concierge's three subgraphs compose from their code alone (no model is loaded)."""
    result = CliRunner().invoke(app, ["compose", "--stack", str(REPO / "chorus.yaml")])
    assert result.exit_code == 0, result.output
    for name in ("nlu", "dialogue", "generation"):
        assert f'@join__graph(name: "{name}"' in result.stdout
