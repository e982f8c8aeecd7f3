"""`chorus dev` starts all subgraphs, one application's, or the ones named."""

from __future__ import annotations

from pathlib import Path

import pytest

from chorus.config import ConfigError, load_config
from chorus.selection import SelectionError, select_subgraphs, stack_subset
from tests.helpers.stacks import write_stack

SUBGRAPHS = {
    name: {"app": f"tests.helpers.tiny_subgraphs:{name}_app", "port": port}
    for name, port in (("alpha", 4911), ("beta", 4912), ("gamma", 4913))
}


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return write_stack(tmp_path, SUBGRAPHS, applications={"shop": ["gamma", "alpha"]})


def test_no_target_starts_everything(config_path: Path) -> None:
    assert list(select_subgraphs(load_config(config_path), [])) == ["alpha", "beta", "gamma"]


def test_an_application_starts_its_subgraphs_in_config_order(config_path: Path) -> None:
    assert list(select_subgraphs(load_config(config_path), ["shop"])) == ["alpha", "gamma"]


def test_named_subgraphs_and_applications_mix(config_path: Path) -> None:
    config = load_config(config_path)
    assert list(select_subgraphs(config, ["beta"])) == ["beta"]
    assert list(select_subgraphs(config, ["beta", "shop"])) == ["alpha", "beta", "gamma"]
    subset = stack_subset(config, ["beta"])
    assert list(subset.subgraphs) == ["beta"] and subset.path == config_path
    assert list(config.subgraphs) == ["alpha", "beta", "gamma"]  # the original is untouched


def test_an_unknown_target_lists_subgraphs_and_applications(config_path: Path) -> None:
    with pytest.raises(SelectionError) as caught:
        select_subgraphs(load_config(config_path), ["delta"])
    message = str(caught.value)
    assert "'delta' is neither a subgraph nor an application" in message
    assert "subgraphs: alpha, beta, gamma" in message and "applications: shop" in message


def test_an_application_of_unknown_subgraphs_is_a_config_error(tmp_path: Path) -> None:
    path = write_stack(tmp_path, SUBGRAPHS, applications={"shop": ["alpha", "omega"]})
    with pytest.raises(ConfigError, match="application 'shop' lists unknown subgraph"):
        load_config(path)


def test_the_repository_stack_declares_the_concierge_and_fraud_applications() -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "chorus.yaml")
    # each application brings the training service that trains and promotes its models
    assert set(config.applications["concierge"]) == {"nlu", "dialogue", "generation", "training"}
    assert set(config.applications["fraud"]) == {
        *("ingestion", "features", "anomaly", "alerting"),
        "training",
    }
    # together they are the whole stack: plain `chorus dev` starts both pipelines
    everything = set(config.applications["concierge"]) | set(config.applications["fraud"])
    assert everything == set(config.subgraphs)
    models = {n for sub in config.subgraphs.values() for n in sub.models}
    assert models == {"nlu", "generation", "anomaly"}
