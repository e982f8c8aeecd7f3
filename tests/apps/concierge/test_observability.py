"""One trace from the GraphQL request to the model forward pass, across real processes;
and the router's and the NLU subgraph's /metrics after some traffic."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.pipeline_stack import PORTS, Stack, start_stack

# the first run of a fresh checkout trains the default models inside the fixture
pytestmark = pytest.mark.timeout(1800)

SAY = """mutation($t: String!) { say(text: $t) {
  understanding { intent { name } } action { name } reply { text } } }"""


@pytest.fixture(scope="module")
def traced_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Path]]:
    root = tmp_path_factory.mktemp("traced")
    traces = root / "traces"
    stack = start_stack(root, {"CHORUS_TRACES_EXPORTER": f"jsonl:{traces}"})
    try:
        yield stack, traces
    finally:
        stack.stop()


def _spans(directory: Path) -> list[dict]:
    spans = []
    for path in directory.glob("*.jsonl"):
        service = path.name.rsplit("-", 1)[0]
        for line in path.read_text().splitlines():
            span = json.loads(line)
            span["service"] = service
            spans.append(span)
    return spans


def test_one_trace_spans_router_subgraphs_and_model_calls(
    traced_stack: tuple[Stack, Path],
) -> None:
    stack, traces = traced_stack
    body = stack.gql(SAY, {"t": "book a table for two at 8pm"})
    assert "errors" not in body, body
    deadline = time.monotonic() + 10
    while True:
        spans = _spans(traces)
        roots = [s for s in spans if s["service"] == "router" and not s.get("parent_id")]
        if roots or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert roots, f"no router root span; services seen: {sorted({s['service'] for s in spans})}"
    trace_id = roots[-1]["context"]["trace_id"]
    in_trace = [s for s in spans if s["context"]["trace_id"] == trace_id]
    by_id = {s["context"]["span_id"]: s for s in in_trace}
    root_id = roots[-1]["context"]["span_id"]

    def descends_from_root(span: dict) -> bool:
        seen = 0
        while span.get("parent_id") and seen < 50:
            if span["parent_id"] == root_id:
                return True
            parent = by_id.get(span["parent_id"])
            if parent is None:
                return False
            span, seen = parent, seen + 1
        return False

    services = {s["service"] for s in in_trace if descends_from_root(s)}
    assert {"nlu", "dialogue", "generation"} <= services, services
    model_spans = [s for s in in_trace if s["name"].startswith("model ")]
    assert {s["attributes"]["chorus.model.name"] for s in model_spans} >= {"nlu"}
    assert all(descends_from_root(s) for s in model_spans)
    assert all(s["attributes"]["chorus.model.version"] for s in model_spans)
    # user text never reaches a span
    assert not any("8pm" in json.dumps(s.get("attributes", {})) for s in in_trace)


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    found = False
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        match = re.match(rf"{re.escape(name)}(\{{[^}}]*\}})? (\S+)$", line)
        if not match:
            continue
        label_text = match.group(1) or ""
        if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
            total += float(match.group(2))
            found = True
    assert found, f"{name} {labels} not in /metrics"
    return total


def test_metrics_after_traffic(traced_stack: tuple[Stack, Path]) -> None:
    stack, _ = traced_stack
    for text in ("hello", "what time do you open", "book a table for 3"):
        assert "errors" not in stack.gql(SAY, {"t": text})
    router = httpx.get(f"http://127.0.0.1:{PORTS['router']}/metrics").text
    assert _metric(router, "chorus_router_requests_total", operation_type="mutation") >= 3
    assert _metric(router, "chorus_router_fetch_seconds_count", subgraph="nlu") >= 3
    assert _metric(router, "chorus_router_plan_cache_total", result="hit") >= 2
    nlu = httpx.get(f"http://127.0.0.1:{PORTS['nlu']}/metrics").text
    assert _metric(nlu, "chorus_model_inference_seconds_count", model="nlu") >= 3
    assert _metric(nlu, "chorus_model_batch_size_count", model="nlu") >= 3
    assert _metric(nlu, "chorus_model_predictions_total", model="nlu") >= 3
    assert 0 < _metric(nlu, "chorus_model_inference_seconds_sum", model="nlu") < 60
    assert _metric(nlu, "chorus_subgraph_request_seconds_count", subgraph="nlu") >= 3
