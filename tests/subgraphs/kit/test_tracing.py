"""A subgraph continues the caller's trace, and model calls hang under the request span."""

from __future__ import annotations

import strawberry
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.testclient import TestClient

from models.batching import DynamicBatcher
from subgraphs.kit import create_app

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"

batcher: DynamicBatcher[str, int] = DynamicBatcher(
    lambda texts: [len(t) for t in texts], name="length", version="v7"
)


@strawberry.type
class Query:
    @strawberry.field
    async def length(self, text: str) -> int:
        return await batcher.submit(text)


def test_request_and_model_spans_join_the_callers_trace(spans: InMemorySpanExporter) -> None:
    app = create_app(strawberry.federation.Schema(query=Query), name="lengths")
    with TestClient(app) as client:
        response = client.post(
            "/graphql",
            json={"query": '{ length(text: "hello") }'},
            headers={"traceparent": f"00-{TRACE_ID}-{PARENT}-01"},
        )
        assert response.json() == {"data": {"length": 5}}
        client.portal.call(batcher.stop)  # type: ignore[union-attr]
    finished = spans.get_finished_spans()
    ours = [s for s in finished if f"{s.context.trace_id:032x}" == TRACE_ID]
    assert ours, f"no span continued the trace; saw {[s.name for s in finished]}"
    server = next(s for s in ours if s.parent is not None and f"{s.parent.span_id:016x}" == PARENT)
    model = next(s for s in ours if s.name == "model length")
    assert model.attributes["chorus.model.version"] == "v7"
    assert model.attributes["chorus.model.batch_size"] == 1
    # the model span descends from the server span
    by_id = {s.context.span_id: s for s in ours}
    node = model
    while node.parent is not None and node.parent.span_id in by_id:
        node = by_id[node.parent.span_id]
        if node is server:
            break
    assert node is server
