"""Per HTTP request: one structured log line and one latency observation, in one middleware.

The log line (method, path, status, duration, trace id) skips the probes (`/health`,
`/ready`, `/metrics`) and `chorus dev`'s schema polls; the Prometheus histogram
`chorus_subgraph_request_seconds` times every HTTP request. One pure-ASGI layer instead
of two: on the NLU subgraph each layer and each `labels()` lookup is event-loop CPU that
a request spends beside the model (bench/inference.md).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from subgraphs.kit.metrics import REQUEST_LATENCY

log = logging.getLogger("chorus.access")

QUIET_PATHS = frozenset({"/health", "/ready", "/metrics"})
# `chorus dev` polls every subgraph's SDL every few seconds with this header set.
SCHEMA_POLL = (b"x-chorus-schema-poll", b"1")
MAX_CACHED_LABELS = 64


class AccessLogMiddleware:
    """Logs and times HTTP requests; non-HTTP scopes (websocket, lifespan) pass straight through."""

    def __init__(self, app: ASGIApp, *, subgraph: str) -> None:
        self.app = app
        self.subgraph = subgraph
        self._latency: dict[tuple[str, str], Any] = {}  # (path, method) -> histogram child

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        if scope.get("path") in QUIET_PATHS or SCHEMA_POLL in scope.get("headers", ()):
            try:
                await self.app(scope, receive, send)
            finally:
                self._observe(scope, time.perf_counter() - started)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = time.perf_counter() - started
            self._observe(scope, elapsed)
            method, path = scope["method"], scope["path"]
            log.info(
                "%s %s %s",
                method,
                path,
                status,
                extra={
                    "method": method,
                    "path": path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )

    def _observe(self, scope: Scope, seconds: float) -> None:
        key = (scope.get("path", ""), scope["method"])
        child = self._latency.get(key)
        if child is None:
            child = REQUEST_LATENCY.labels(self.subgraph, *key)
            if len(self._latency) < MAX_CACHED_LABELS:  # paths of 404s are not bounded
                self._latency[key] = child
        child.observe(seconds)
