"""Text edits of block YAML: nested mappings and sequences, comments kept, wrong edits refused."""

from __future__ import annotations

import pytest
import yaml

from chorus.scaffold import ScaffoldError
from chorus.scaffold.yaml_text import add_mapping_entry, add_sequence_item

COMPOSE = """\
services:
  a:
    image: x   # the first
    depends_on:
      db:
        condition: service_healthy

  # the router waits for a
  router:
    depends_on:
      a:
        condition: service_healthy
volumes:
  data:
"""

PROMETHEUS = """\
scrape_configs:
  - job_name: one
    static_configs:
      - targets: ["r:1"]
  - job_name: two   # subgraphs
    metrics_path: /metrics
    static_configs:
      - targets: ["a:2"]
        labels:
          service: a
      - targets: ["b:3"]
        labels:
          service: b
"""


def test_nested_mapping_entry_goes_after_the_named_sibling() -> None:
    result = add_mapping_entry(
        COMPOSE,
        ["services", "router", "depends_on"],
        "new",
        {"condition": "service_healthy"},
        after="a",
    )
    data = yaml.safe_load(result)
    assert list(data["services"]["router"]["depends_on"]) == ["a", "new"]
    assert data["volumes"] == {"data": None}
    assert "# the first" in result and "# the router waits for a" in result
    assert "      new:\n        condition: service_healthy\n" in result


def test_sequence_item_inside_a_sequence_item() -> None:
    item = '- targets: ["c:4"]\n  labels:\n    service: c\n'
    target = {"targets": ["c:4"], "labels": {"service": "c"}}
    result = add_sequence_item(
        PROMETHEUS, ["scrape_configs", 1, "static_configs"], item, target, after=0
    )
    jobs = yaml.safe_load(result)["scrape_configs"]
    assert [s["targets"] for s in jobs[1]["static_configs"]] == [["a:2"], ["c:4"], ["b:3"]]
    assert jobs[0] == yaml.safe_load(PROMETHEUS)["scrape_configs"][0]
    assert "# subgraphs" in result


def test_sequence_item_at_the_end_of_a_top_level_list() -> None:
    text = "resources:\n  - a.yaml   # first\n  - b.yaml\nimages: []\n"
    result = add_sequence_item(text, ["resources"], "- c.yaml\n", "c.yaml")
    assert yaml.safe_load(result)["resources"] == ["a.yaml", "b.yaml", "c.yaml"]
    assert result.endswith("  - c.yaml\nimages: []\n")


@pytest.mark.parametrize(
    "path",
    [["services", "nope", "depends_on"], ["scrape_configs", 5, "static_configs"]],
)
def test_a_missing_place_is_refused_with_the_entry_to_add_by_hand(path: list[str | int]) -> None:
    with pytest.raises(ScaffoldError, match="add it by hand") as info:
        add_mapping_entry(COMPOSE + PROMETHEUS, path, "new", {"port": 1})
    assert "port: 1" in str(info.value)


def test_a_flow_mapping_cannot_be_edited_as_text_and_is_refused() -> None:
    text = "services:\n  router:\n    depends_on: {a: {condition: service_healthy}}\n"
    with pytest.raises(ScaffoldError, match="add it by hand"):
        add_mapping_entry(text, ["services", "router", "depends_on"], "new", {"x": 1})
