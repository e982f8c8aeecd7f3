"""The JSON-lines span exporter: one parseable line per span, one file per process."""

from __future__ import annotations

import json
import os
from pathlib import Path

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from observability.tracing import JsonLinesSpanExporter


def test_spans_become_one_json_line_each(tmp_path: Path) -> None:
    provider = TracerProvider(resource=Resource.create({"service.name": "svc"}))
    provider.add_span_processor(
        BatchSpanProcessor(JsonLinesSpanExporter(tmp_path, "svc"), schedule_delay_millis=100)
    )
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span("outer"),
        tracer.start_as_current_span("inner", attributes={"db.statement": "SELECT 1"}),
    ):
        pass
    provider.force_flush()
    path = tmp_path / f"svc-{os.getpid()}.jsonl"
    spans = [json.loads(line) for line in path.read_text().splitlines()]
    provider.shutdown()
    assert [s["name"] for s in spans] == ["inner", "outer"]
    inner, outer = spans
    assert inner["parent_id"] == outer["context"]["span_id"]
    assert inner["attributes"] == {"db.statement": "SELECT 1"}
