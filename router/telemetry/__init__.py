"""Router telemetry: a span per request, per planning step and per subgraph fetch;
Prometheus series for requests, fetches and the plan cache.

Spans never carry variables or query text: the document is identified by its
SHA-256, so traces can be shared without leaking what users sent. The W3C trace
context reaches subgraphs in the `traceparent` header of every fetch.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from opentelemetry import propagate, trace
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.requests import Request
from starlette.responses import Response

from router.telemetry.series import CounterSeries, HistogramSeries, register

__all__ = [
    "document_hash",
    "fetch_span",
    "instrument",
    "metrics_endpoint",
    "plan_span",
    "record_fetch_error",
    "record_plan",
    "record_request",
    "request_span",
]

REQUESTS = CounterSeries(
    "chorus_router_requests",
    "GraphQL operations served by the router, by outcome (ok, error)",
    ["operation_type", "outcome"],
)
REQUEST_SECONDS = HistogramSeries(
    "chorus_router_request_seconds",
    "Router latency of whole GraphQL requests",
    ["operation_type", "outcome"],
)
FETCH_SECONDS = HistogramSeries(
    "chorus_router_fetch_seconds",
    "Latency of one subgraph fetch as the router sees it",
    ["subgraph"],
)
FETCH_ERRORS = CounterSeries(
    "chorus_router_fetch_errors",
    "Subgraph fetches that failed (transport error or GraphQL errors)",
    ["subgraph"],
)
PLAN_CACHE = CounterSeries("chorus_router_plan_cache", "Query plan cache lookups", ["result"])
register(REQUESTS, REQUEST_SECONDS, FETCH_SECONDS, FETCH_ERRORS, PLAN_CACHE)

tracer = trace.get_tracer("chorus.router")

#: set by `instrument()` when an exporter is configured; guards per-request tracing work
TRACING = False

#: what the span helpers yield while TRACING is off: spans nobody exports cost ~0.1 ms of
#: CPU per federated request (bench/router), a quarter of the router's own work
_NO_SPAN = trace.INVALID_SPAN

# labelled children, looked up once per label values
_requests = functools.cache(REQUESTS.labels)
_request_seconds = functools.cache(REQUEST_SECONDS.labels)
_fetch_seconds = functools.cache(FETCH_SECONDS.labels)
_fetch_errors = functools.cache(FETCH_ERRORS.labels)
_plan_cache = functools.cache(PLAN_CACHE.labels)


def with_trace_context(headers: Mapping[str, str] | None) -> Mapping[str, str] | None:
    """Headers plus the current span's W3C `traceparent`, so subgraph spans join the trace.

    The router's own context replaces a client's `traceparent` that header rules forwarded.
    """
    if not TRACING:
        return headers
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if not carrier:
        return headers
    return {**(headers or {}), **carrier}


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


#: the span helpers' answer while TRACING is off (class-based: no generator per call)
_UNTRACED: AbstractContextManager[Any] = nullcontext(_NO_SPAN)


def request_span(operation_name: str | None, document: str | None) -> AbstractContextManager[Any]:
    return _request_span(operation_name, document) if TRACING else _UNTRACED


@contextmanager
def _request_span(operation_name: str | None, document: str | None) -> Iterator[Any]:
    attributes: dict[str, Any] = {}
    if operation_name:
        attributes["graphql.operation.name"] = operation_name
    if document:
        attributes["graphql.document.sha256"] = document_hash(document)
    with tracer.start_as_current_span("graphql request", attributes=attributes) as span:
        yield span


def plan_span() -> AbstractContextManager[Any]:
    """Wraps planning; call `record_plan(span, hit)` inside once the cache answered."""
    return tracer.start_as_current_span("plan") if TRACING else _UNTRACED


def record_plan(span: Any, cache_hit: bool) -> None:
    _plan_cache("hit" if cache_hit else "miss").inc()
    span.set_attribute("chorus.plan.cache_hit", cache_hit)


def fetch_span(subgraph: str, entities: int | None = None) -> AbstractContextManager[Any]:
    """Times the fetch into its histogram; a span too when tracing."""
    if not TRACING:
        return _Timed(_fetch_seconds(subgraph))
    return _traced_fetch(subgraph, entities)


class _Timed:
    __slots__ = ("_histogram", "_started")

    def __init__(self, histogram: Any) -> None:
        self._histogram = histogram
        self._started = 0.0

    def __enter__(self) -> Any:
        self._started = time.perf_counter()
        return _NO_SPAN

    def __exit__(self, *exc_info: object) -> None:
        self._histogram.observe(time.perf_counter() - self._started)


@contextmanager
def _traced_fetch(subgraph: str, entities: int | None) -> Iterator[Any]:
    attributes: dict[str, Any] = {"chorus.subgraph": subgraph}
    if entities is not None:
        attributes["chorus.entities.count"] = entities
    with (
        _Timed(_fetch_seconds(subgraph)),
        tracer.start_as_current_span(f"fetch {subgraph}", attributes=attributes) as span,
    ):
        yield span


def record_request(operation_type: str, outcome: str, seconds: float) -> None:
    _requests(operation_type, outcome).inc()
    _request_seconds(operation_type, outcome).observe(seconds)


def record_fetch_error(subgraph: str) -> None:
    _fetch_errors(subgraph).inc()


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def instrument(app: Any) -> Any:
    """Trace the ASGI app (continuing an incoming traceparent); fetches carry the context on.

    With no exporter configured (CHORUS_TRACES_EXPORTER unset or `none`) the router
    stays uninstrumented: tracing costs CPU on every request and nobody would read it.
    """
    global TRACING
    if os.environ.get("CHORUS_TRACES_EXPORTER", "none") == "none":
        return app
    TRACING = True
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    from observability import configure_tracing

    configure_tracing("router")
    return OpenTelemetryMiddleware(app, excluded_urls="health,metrics")
