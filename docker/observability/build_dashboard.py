"""Writes the Grafana pipeline dashboard from the metric catalogue (metrics.yaml).

Panel queries name metrics by catalogue key (`<<model_batch_size>>`), so a
renamed metric is changed in one place: edit metrics.yaml, run this script
(`python docker/observability/build_dashboard.py`), commit both files.
`--check` exits 1 when the committed JSON is stale (tests/docker runs the same
comparison).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE / "metrics.yaml"
DASHBOARD = HERE / "grafana" / "dashboards" / "chorus-pipeline.json"
PROMETHEUS_UID = "prometheus"  # the uid in grafana/provisioning/datasources/datasources.yaml
PLACEHOLDER = re.compile(r"<<([a-z0-9_]+)>>")
RATE = "[$__rate_interval]"

# (row title, [(panel title, unit, [(legend, query with <<key>> placeholders)])])
LAYOUT: list[tuple[str, list[tuple[str, str, list[tuple[str, str]]]]]] = [
    (
        "Router",
        [
            (
                "Request rate by outcome",
                "reqps",
                [("{{outcome}}", f"sum by (outcome) (rate(<<router_requests>>_total{RATE}))")],
            ),
            (
                "Request latency",
                "s",
                [
                    (
                        f"p{q}",
                        f"histogram_quantile(0.{q}, sum by (le) "
                        f"(rate(<<router_request_seconds>>_bucket{RATE})))",
                    )
                    for q in ("50", "95", "99")
                ],
            ),
            (
                "Subgraph fetch latency p95 (router side)",
                "s",
                [
                    (
                        "{{subgraph}}",
                        "histogram_quantile(0.95, sum by (le, subgraph) "
                        f"(rate(<<router_fetch_seconds>>_bucket{RATE})))",
                    )
                ],
            ),
            (
                "Subgraph fetch errors",
                "reqps",
                [
                    (
                        "{{subgraph}}",
                        f"sum by (subgraph) (rate(<<router_fetch_errors>>_total{RATE}))",
                    )
                ],
            ),
            (
                "Plan cache hit ratio",
                "percentunit",
                [
                    (
                        "hit ratio",
                        f'sum(rate(<<router_plan_cache>>_total{{result="hit"}}{RATE})) '
                        f"/ sum(rate(<<router_plan_cache>>_total{RATE}))",
                    )
                ],
            ),
        ],
    ),
    (
        "Subgraphs",
        [
            (
                "GraphQL request rate",
                "reqps",
                [
                    (
                        "{{subgraph}}",
                        "sum by (subgraph) "
                        f'(rate(<<subgraph_request_seconds>>_count{{path="/graphql"}}{RATE}))',
                    )
                ],
            ),
            (
                "GraphQL latency p95",
                "s",
                [
                    (
                        "{{subgraph}}",
                        "histogram_quantile(0.95, sum by (le, subgraph) (rate("
                        f'<<subgraph_request_seconds>>_bucket{{path="/graphql"}}{RATE})))',
                    )
                ],
            ),
            (
                "Generation replies by source",
                "reqps",
                [
                    (
                        "{{source}}",
                        f"sum by (source) (rate(<<generation_replies>>_total{RATE}))",
                    )
                ],
            ),
            (
                "Generated replies rejected by the slot guard",
                "reqps",
                [("rejected", f"sum(rate(<<generation_guard_rejections>>_total{RATE}))")],
            ),
        ],
    ),
    (
        "Models",
        [
            (
                "Inference latency p95 per model version",
                "s",
                [
                    (
                        "{{model}} {{version}}",
                        "histogram_quantile(0.95, sum by (le, model, version) "
                        f"(rate(<<model_inference_seconds>>_bucket{RATE})))",
                    )
                ],
            ),
            (
                "Mean batch size",
                "short",
                [
                    (
                        "{{model}} {{version}}",
                        f"sum by (model, version) (rate(<<model_batch_size>>_sum{RATE})) "
                        f"/ sum by (model, version) (rate(<<model_batch_size>>_count{RATE}))",
                    )
                ],
            ),
            (
                "Queue wait p95 and queue depth",
                "s",
                [
                    (
                        "wait {{model}} {{version}}",
                        "histogram_quantile(0.95, sum by (le, model, version) "
                        f"(rate(<<model_queue_wait_seconds>>_bucket{RATE})))",
                    ),
                    ("depth {{model}}", "sum by (model) (<<model_queue_depth>>)"),
                ],
            ),
            (
                "Fallback rate per model version",
                "percentunit",
                [
                    (
                        "{{model}} {{version}}",
                        f"sum by (model, version) (rate(<<model_fallbacks>>_total{RATE})) "
                        f"/ sum by (model, version) (rate(<<model_predictions>>_total{RATE}))",
                    )
                ],
            ),
            (
                "Generated tokens per second",
                "short",
                [
                    (
                        "{{model}} {{version}}",
                        f"sum by (model, version) (rate(<<model_generated_tokens>>_total{RATE}))",
                    )
                ],
            ),
        ],
    ),
]


def load_catalogue(path: Path = CATALOGUE) -> dict[str, dict[str, Any]]:
    """Catalogue key -> entry (name, type, labels, help, module | planned)."""
    data = yaml.safe_load(path.read_text())
    return dict(data["metrics"])


def render(query: str, catalogue: dict[str, dict[str, Any]]) -> str:
    def name(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in catalogue:
            raise KeyError(f"query names {key!r}, which metrics.yaml does not list")
        return str(catalogue[key]["name"])

    return PLACEHOLDER.sub(name, query)


def build(catalogue: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model (rows of 8-wide time series panels)."""
    datasource = {"type": "prometheus", "uid": PROMETHEUS_UID}
    panels: list[dict[str, Any]] = []
    y = 0
    for row_title, row_panels in LAYOUT:
        panels.append(
            {
                "id": len(panels) + 1,
                "type": "row",
                "title": row_title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": y},
                "panels": [],
            }
        )
        y += 1
        for i, (title, unit, queries) in enumerate(row_panels):
            panels.append(
                {
                    "id": len(panels) + 1,
                    "type": "timeseries",
                    "title": title,
                    "datasource": datasource,
                    "gridPos": {"h": 8, "w": 8, "x": (i % 3) * 8, "y": y + (i // 3) * 8},
                    "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                    "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
                    "targets": [
                        {
                            "refId": chr(ord("A") + j),
                            "datasource": datasource,
                            "expr": render(query, catalogue),
                            "legendFormat": legend,
                        }
                        for j, (legend, query) in enumerate(queries)
                    ],
                }
            )
        y += ((len(row_panels) + 2) // 3) * 8
    return {
        "uid": "chorus-pipeline",
        "title": "Chorus pipeline",
        "description": "Router, subgraphs and models; generated by build_dashboard.py",
        "tags": ["chorus"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": []},
        "annotations": {"list": []},
        "panels": panels,
    }


def dump(dashboard: dict[str, Any]) -> str:
    return json.dumps(dashboard, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = dump(build(load_catalogue()))
    if "--check" in argv:
        if DASHBOARD.read_text() != text:
            print(f"{DASHBOARD} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    DASHBOARD.parent.mkdir(parents=True, exist_ok=True)
    DASHBOARD.write_text(text)
    print(f"wrote {DASHBOARD}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
