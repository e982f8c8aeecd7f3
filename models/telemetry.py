"""Model-call telemetry: Prometheus series per model name and version, and one span per call.

The batcher reports here, so every model served through it is measured the same
way: inference latency, batch size, queue wait and depth. The span is opened in
the caller's context, so it hangs under the GraphQL request that asked for it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

INFERENCE_SECONDS = Histogram(
    "chorus_model_inference_seconds",
    "Time of one forward pass (a whole batch)",
    ["model", "version"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_SIZE = Histogram(
    "chorus_model_batch_size",
    "Requests served by one forward pass",
    ["model", "version"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
QUEUE_WAIT_SECONDS = Histogram(
    "chorus_model_queue_wait_seconds",
    "Time a request waited in the batcher's queue",
    ["model", "version"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
QUEUE_DEPTH = Gauge("chorus_model_queue_depth", "Requests waiting for a forward pass", ["model"])

tracer = trace.get_tracer("chorus.models")


@lru_cache(maxsize=4096)
def series(metric: MetricWrapperBase, *labels: str) -> Any:
    """`metric.labels(*labels)`, looked up once per label set.

    `labels()` takes a lock and builds a tuple and a dict key on every call, which costs
    more than the observation it is for; a served request records several of them on
    the event loop's thread. (No series here is ever removed, so a cached child stays
    the one the registry exports.)
    """
    return metric.labels(*labels)


def record_batch(model: str, version: str, size: int, forward_s: float) -> None:
    series(INFERENCE_SECONDS, model, version).observe(forward_s)
    series(BATCH_SIZE, model, version).observe(size)


def record_call_span(
    model: str,
    version: str,
    *,
    enqueued_ns: int,
    started_ns: int,
    finished_ns: int,
    batch_size: int,
    error: BaseException | None = None,
) -> None:
    """A span covering one request's wait and forward pass, child of the current span.

    Its attributes are set once the span is known to record: with no tracer provider
    installed every span is a no-op, and the attributes would be built for nothing.
    """
    series(QUEUE_WAIT_SECONDS, model, version).observe(max(0, started_ns - enqueued_ns) / 1e9)
    span = tracer.start_span(f"model {model}", start_time=enqueued_ns)
    if span.is_recording():
        span.set_attributes(
            {
                "chorus.model.name": model,
                "chorus.model.version": version,
                "chorus.model.batch_size": batch_size,
                "chorus.model.queue_wait_ms": max(0, started_ns - enqueued_ns) / 1e6,
                "chorus.model.forward_ms": max(0, finished_ns - started_ns) / 1e6,
            }
        )
        if error is not None:
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
    span.end(end_time=finished_ns)


def record_batch_span(
    model: str,
    version: str,
    *,
    started_ns: int,
    finished_ns: int,
    size: int,
    callers: list[trace.SpanContext],
) -> None:
    """A span around one forward pass, linked to the span of every request it served.

    A batch serves several requests, so it cannot be the child of each; links are how
    OpenTelemetry ties one operation to several traces.
    """
    span = tracer.start_span(
        f"model {model} batch",
        context=Context(),  # a root: the worker task's context is not any request's
        start_time=started_ns,
        links=[trace.Link(context) for context in callers],
        attributes={
            "chorus.model.name": model,
            "chorus.model.version": version,
            "chorus.model.batch_size": size,
        },
    )
    span.end(end_time=finished_ns)


PREDICTIONS = Counter(
    "chorus_model_predictions",
    "Predictions made (the fallback rate's denominator)",
    ["model", "version"],
)
FALLBACKS = Counter(
    "chorus_model_fallbacks",
    "Predictions below the confidence threshold that fell back",
    ["model", "version"],
)
CONFIDENCE = Histogram(
    "chorus_model_confidence",
    "Confidence of the predicted label, per predicted label",
    ["model", "version", "label"],
    buckets=(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0),
)
GENERATED_TOKENS = Counter(
    "chorus_model_generated_tokens", "Tokens produced by a generative model", ["model", "version"]
)
TOKENS_PER_SECOND = Histogram(
    "chorus_model_tokens_per_second",
    "Generation speed of one reply",
    ["model", "version"],
    buckets=(5, 10, 25, 50, 100, 200, 400, 800, 1600),
)


def record_prediction(
    model: str, version: str, *, label: str, confidence: float, fallback: bool
) -> None:
    """One classification result: counts, fallback rate and the confidence histogram."""
    series(PREDICTIONS, model, version).inc()
    if fallback:
        series(FALLBACKS, model, version).inc()
    series(CONFIDENCE, model, version, label).observe(confidence)


def record_generation(model: str, version: str, *, tokens: int, seconds: float) -> None:
    series(GENERATED_TOKENS, model, version).inc(tokens)
    if seconds > 0 and tokens > 0:
        series(TOKENS_PER_SECOND, model, version).observe(tokens / seconds)
