"""Prometheus metrics for a subgraph: request latency by path, served on /metrics."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

REQUEST_LATENCY = Histogram(
    "chorus_subgraph_request_seconds",
    "Latency of HTTP requests served by a subgraph",
    ["subgraph", "path", "method"],
)


class MetricsMiddleware:
    """Times every HTTP request; non-HTTP scopes (websocket, lifespan) pass straight through."""

    def __init__(self, app: ASGIApp, *, subgraph: str) -> None:
        self.app = app
        self.subgraph = subgraph

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST_LATENCY.labels(self.subgraph, scope.get("path", ""), scope["method"]).observe(
                time.perf_counter() - started
            )


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
