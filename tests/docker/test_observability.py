"""The observability profile's files: metric catalogue against the code, the generated Grafana
dashboard, Prometheus, the collector and Grafana provisioning against compose."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from prometheus_client import REGISTRY

from tests.helpers.deploy import DOCKER, OBSERVABILITY, load_compose, load_script, subgraph_ports

build_dashboard = load_script(OBSERVABILITY / "build_dashboard.py")
DASHBOARD = OBSERVABILITY / "grafana" / "dashboards" / "chorus-pipeline.json"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
SERIES = re.compile(r"\bchorus_[a-z0-9_]+")


@pytest.fixture(scope="module")
def catalogue() -> dict[str, dict[str, Any]]:
    return build_dashboard.load_catalogue()


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def _exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_catalogue_entries_are_well_formed(catalogue: dict[str, dict[str, Any]]) -> None:
    names = [e["name"] for e in catalogue.values()]
    assert len(names) == len(set(names))
    for key, entry in catalogue.items():
        assert entry["name"].startswith("chorus_"), key
        assert entry["type"] in SUFFIXES, key
        assert not entry["name"].endswith("_total"), f"{key}: name without the _total suffix"
        assert bool(entry.get("planned")) != bool(entry.get("module")), (
            f"{key}: either `module` (where it is registered) or `planned: true`"
        )


def test_implemented_metrics_are_registered_by_their_module(
    catalogue: dict[str, dict[str, Any]],
) -> None:
    """The names the dashboard queries are the names the code exports (with the same labels)."""
    for key, entry in catalogue.items():
        if entry.get("planned"):
            continue
        importlib.import_module(entry["module"])
        families = {m.name: m for m in REGISTRY.collect()}
        assert entry["name"] in families, f"{entry['module']} registers no {entry['name']}"
        family = families[entry["name"]]
        assert family.type == entry["type"], f"{key}: {family.type} in the code"
        collector = REGISTRY._names_to_collectors[entry["name"]]
        # prometheus_client's metrics keep `_labelnames`; the router's lock-free series
        # (router/telemetry/series.py) say `labelnames`
        labels = getattr(collector, "labelnames", None) or getattr(collector, "_labelnames", ())
        assert list(labels) == entry["labels"], key


def test_dashboard_is_generated_from_the_catalogue(
    catalogue: dict[str, dict[str, Any]], dashboard: dict[str, Any]
) -> None:
    assert build_dashboard.build(catalogue) == dashboard, (
        "chorus-pipeline.json is stale: run docker/observability/build_dashboard.py"
    )


def test_every_series_a_panel_queries_is_in_the_catalogue(
    catalogue: dict[str, dict[str, Any]], dashboard: dict[str, Any]
) -> None:
    by_name = {e["name"]: e for e in catalogue.values()}
    used: set[str] = set()
    for expr in _exprs(dashboard):
        for series in SERIES.findall(expr):
            entry = next(
                (
                    e
                    for name, e in by_name.items()
                    for suffix in SUFFIXES[e["type"]]
                    if series == name + suffix
                ),
                None,
            )
            assert entry is not None, f"{series} (in {expr}) is not a catalogue metric"
            used.add(entry["name"])
    # the panels the pipeline needs: request rate, latency, inference latency, batch size,
    # fallback rate
    for key in (
        "router_requests",
        "router_request_seconds",
        "model_inference_seconds",
        "model_batch_size",
        "model_fallbacks",
        "subgraph_request_seconds",
    ):
        assert catalogue[key]["name"] in used, f"no panel shows {key}"


def test_a_renamed_metric_reaches_every_panel(catalogue: dict[str, dict[str, Any]]) -> None:
    renamed = {k: dict(v) for k, v in catalogue.items()}
    renamed["model_batch_size"]["name"] = "chorus_model_rows_per_batch"
    exprs = _exprs(build_dashboard.build(renamed))
    assert any("chorus_model_rows_per_batch_sum" in e for e in exprs)
    assert not any("chorus_model_batch_size" in e for e in exprs)
    with pytest.raises(KeyError, match="nope"):
        build_dashboard.render("rate(<<nope>>_total[5m])", catalogue)


def test_dashboard_layout_and_datasource(dashboard: dict[str, Any]) -> None:
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for panel in dashboard["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24
        for x in range(pos["x"], pos["x"] + pos["w"]):
            for y in range(pos["y"], pos["y"] + pos["h"]):
                assert (x, y) not in cells, f"panel {panel['title']} overlaps another"
                cells.add((x, y))
    datasources = yaml.safe_load(
        (OBSERVABILITY / "grafana/provisioning/datasources/datasources.yaml").read_text()
    )["datasources"]
    prometheus = next(d for d in datasources if d["type"] == "prometheus")
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": prometheus["uid"]}


def test_readme_lists_every_metric(catalogue: dict[str, dict[str, Any]]) -> None:
    readme = (DOCKER / "README.md").read_text()
    for entry in catalogue.values():
        assert f"`{entry['name']}`" in readme, f"docker/README.md does not list {entry['name']}"


def test_promql_of_every_panel_parses(dashboard: dict[str, Any], tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed (Debian package prometheus); PromQL syntax unchecked")
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"chorus:panel_{i}", "expr": e.replace("$__rate_interval", "5m")}
                    for i, e in enumerate(_exprs(dashboard))
                ],
            }
        ]
    }
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr
    path.write_text(
        yaml.safe_dump(
            {"groups": [{"name": "x", "rules": [{"record": "a:b", "expr": "rate(x[5m]"}]}]}
        )
    )
    bad = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, timeout=30)
    assert bad.returncode != 0, "promtool accepted broken PromQL"


def test_prometheus_scrapes_the_router_and_every_subgraph() -> None:
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    services = load_compose()["services"]
    targets: dict[str, str] = {}
    for job in config["scrape_configs"]:
        assert job.get("metrics_path", "/metrics") == "/metrics"
        for static in job["static_configs"]:
            for target in static["targets"]:
                targets[static["labels"]["service"]] = target
    expected = {n: f"{n}:{p}" for n, p in subgraph_ports().items()} | {"router": "router:4000"}
    assert targets == expected
    for target in targets.values():
        host, port = target.split(":")
        exposed = [str(p) for p in services[host].get("expose", [])] + [
            p.split(":")[-1] for p in services[host].get("ports", [])
        ]
        assert port in exposed, f"{target} is not a port of compose service {host}"
    promtool = shutil.which("promtool")
    if promtool is not None:
        result = subprocess.run(
            [promtool, "check", "config", str(OBSERVABILITY / "prometheus.yml")],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_collector_pipelines_use_only_defined_components() -> None:
    config = yaml.safe_load((OBSERVABILITY / "otel-collector.yaml").read_text())
    service = config["service"]
    assert set(service["extensions"]) <= set(config["extensions"])
    assert "traces" in service["pipelines"]
    for name, pipeline in service["pipelines"].items():
        for kind in ("receivers", "processors", "exporters"):
            for component in pipeline.get(kind, []):
                assert component in config[kind], f"pipeline {name}: {kind[:-1]} {component}?"
    processors = service["pipelines"]["traces"]["processors"]
    assert processors[0] == "memory_limiter", "the memory limiter must come first"
    services = load_compose()["services"]
    for exporter in config["exporters"].values():
        if "endpoint" in exporter:
            host, port = exporter["endpoint"].rsplit(":", 1)
            assert host in services and "observability" in services[host]["profiles"]
            assert port in [str(p) for p in services[host].get("expose", [])]


def test_grafana_provisioning_matches_the_compose_mounts() -> None:
    services = load_compose()["services"]
    grafana = services["grafana"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in grafana["volumes"]}
    provider = yaml.safe_load(
        (OBSERVABILITY / "grafana/provisioning/dashboards/dashboards.yaml").read_text()
    )["providers"][0]
    dashboards_dir = provider["options"]["path"]
    assert (DOCKER / mounts[dashboards_dir]).resolve() == DASHBOARD.parent
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{dashboards_dir}/{DASHBOARD.name}"
    assert (DOCKER / mounts["/etc/grafana/provisioning"]).resolve() == (
        OBSERVABILITY / "grafana/provisioning"
    )
    datasources = yaml.safe_load(
        (OBSERVABILITY / "grafana/provisioning/datasources/datasources.yaml").read_text()
    )["datasources"]
    for source in datasources:
        url = urlparse(source["url"])
        ports = [p.split(":")[-1] for p in services[url.hostname or ""].get("ports", [])]
        assert str(url.port) in ports, source["name"]
