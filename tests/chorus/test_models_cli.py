"""`chorus models promote|rollback`: the evaluation gate on data both versions were
evaluated on (`chorus test`), --force, and rolling back to the replaced version."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from chorus.cli import app
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


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def test_promote_is_gated_forced_and_rolled_back(stack: Path) -> None:
    c = str(stack)
    assert _run("train", "-c", c, "toy", "--version", "v1")[0] == 0  # production: accuracy 1
    assert _run("train", "-c", c, "toy", "--version", "v2", "--shift", "0.3")[0] == 0
    for version in ("v1", "v2"):  # both on the same data
        assert _run("test", "-c", c, "toy", "--version", version)[0] == 0

    code, out = _run("models", "promote", "-c", c, "toy", "v2")
    assert code == 1
    assert "refused: toy v2 is worse than production v1 on accuracy" in out

    code, out = _run("models", "promote", "-c", c, "toy", "v2", "--force")
    assert code == 0 and "forced past the gate" in out and "toy v2 is now in production" in out

    code, out = _run("models", "rollback", "-c", c, "toy")
    assert code == 0 and "toy v1 is in production again (v2 archived)" in out
    code, out = _run("models", "rollback", "-c", c, "toy")
    assert code == 1 and "there is nothing to roll back to" in out
    code, out = _run("models", "list", "-c", c, "toy")
    assert code == 0 and "production" in out and "archived" in out
