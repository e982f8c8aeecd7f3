"""The stack config: validated, unknown keys rejected, environment wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from chorus.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]


def test_the_shipped_config_is_valid() -> None:
    cfg = load_config(REPO / "chorus.yaml")
    assert set(cfg.subgraphs) == {
        *("nlu", "dialogue", "generation"),
        *("ingestion", "features", "anomaly", "alerting"),
        "training",
    }
    assert cfg.router.port == 4000
    assert cfg.resolved_database_url().startswith("sqlite+aiosqlite:///")


def test_unknown_keys_are_rejected_with_their_location(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("router:\n  prot: 4000\n")
    with pytest.raises(ConfigError, match=r"router\.prot"):
        load_config(path)


def test_bad_values_name_the_key(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("subgraphs:\n  nlu:\n    app: nocolon\n    port: 99999\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "subgraphs.nlu.app" in str(info.value) and "subgraphs.nlu.port" in str(info.value)


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("router:\n  port: 4000\ndatabase_url: sqlite+aiosqlite:///x.db\n")
    monkeypatch.setenv("CHORUS_ROUTER__PORT", "5123")
    monkeypatch.setenv("CHORUS_DATABASE_URL", "postgresql+asyncpg://u@h/db")
    cfg = load_config(path)
    assert cfg.router.port == 5123
    assert cfg.resolved_database_url() == "postgresql+asyncpg://u@h/db"


def test_invalid_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("router: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)
