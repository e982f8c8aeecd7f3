"""Prometheus metrics for a subgraph: request latency by path, served on /metrics.

The histogram is observed by `subgraphs.kit.access_log.AccessLogMiddleware`.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response

REQUEST_LATENCY = Histogram(
    "chorus_subgraph_request_seconds",
    "Latency of HTTP requests served by a subgraph",
    ["subgraph", "path", "method"],
)


async def metrics_endpoint(_request: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
