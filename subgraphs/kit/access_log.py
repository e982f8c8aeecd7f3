"""Per HTTP request: one structured log line and one latency observation, in one middleware.

The log line (method, path, status, duration, trace id) skips the probes (`/health`,
`/ready`, `/metrics`) and `chorus dev`'s schema polls; the Prometheus histogram
`chorus_subgraph_request_seconds` times every HTTP request. One pure-ASGI layer instead
of two: on the NLU subgraph each layer and each `labels()` lookup is event-loop CPU that
a request spends beside the model (bench/inference.md).

The lines reach `logging` in batches (`AccessLog`): building, formatting and writing a
log record per request is code that a model's forward pass has just pushed out of the
caches, paid on the request's path; batched, it runs once per batch, warm, after the
answers have left (bench/pipeline.md, "Session 8").
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from typing import Any

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from subgraphs.kit.env_seconds import seconds_from_env
from subgraphs.kit.metrics import REQUEST_LATENCY

log = logging.getLogger("chorus.access")

QUIET_PATHS = frozenset({"/health", "/ready", "/metrics"})
# `chorus dev` polls every subgraph's SDL every few seconds with this header set.
SCHEMA_POLL = (b"x-chorus-schema-poll", b"1")
MAX_CACHED_LABELS = 64

FLUSH_ENV = "CHORUS_ACCESS_LOG_FLUSH_S"
DEFAULT_FLUSH_S = 0.5
MAX_PENDING = 1024

_Pending = tuple[float, str, str, int, dict[str, Any]]


def flush_seconds_from_env() -> float:
    """`CHORUS_ACCESS_LOG_FLUSH_S`: how long a line may wait for its batch (0: none)."""
    return seconds_from_env(FLUSH_ENV, DEFAULT_FLUSH_S)


class AccessLog:
    """The access lines of one app, handed to `logging` every `flush_s` seconds in one batch.

    Like nginx's `access_log ... flush=`: a line keeps its request's time and trace id
    and reaches the handlers at most `flush_s` later, or when `max_pending` lines wait.
    `flush_s=0` logs each line as its request ends. `flush()` writes what is waiting;
    the app's shutdown calls it, so a clean stop loses no line.
    """

    def __init__(
        self,
        logger: logging.Logger = log,
        *,
        flush_s: float = DEFAULT_FLUSH_S,
        max_pending: int = MAX_PENDING,
    ) -> None:
        if flush_s < 0:
            raise ValueError("flush_s must not be negative")
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.logger = logger
        self.flush_s = flush_s
        self.max_pending = max_pending
        self._pending: list[_Pending] = []
        self._timer: asyncio.TimerHandle | None = None
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        """Lines waiting for the next flush."""
        return len(self._pending)

    def write(self, method: str, path: str, status: int, seconds: float) -> None:
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        extra: dict[str, Any] = {
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        if self.flush_s == 0:
            logger.info("%s %s %s", method, path, status, extra=extra)
            return
        context = trace.get_current_span().get_span_context()
        if context.is_valid:  # the batch is formatted outside the request's span
            extra["trace_id"] = f"{context.trace_id:032x}"
            extra["span_id"] = f"{context.span_id:016x}"
        self._pending.append((time.time(), method, path, status, extra))
        if len(self._pending) >= self.max_pending:
            self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to wait on: write it now
            self.flush()
            return
        # a timer of a loop that ended (an app served again on a new loop) never fires
        if self._timer is None or self._timer_loop is not loop:
            # outside this request's context: the batch is no request's (its trace ids
            # are in each line's fields)
            self._timer = loop.call_later(self.flush_s, self.flush, context=contextvars.Context())
            self._timer_loop = loop

    def flush(self) -> None:
        """Hand every waiting line to the logger's handlers, oldest first."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pending, self._pending = self._pending, []
        logger = self.logger
        for created, method, path, status, extra in pending:
            record = logger.makeRecord(
                logger.name,
                logging.INFO,
                __file__,
                0,
                "%s %s %s",
                (method, path, status),
                None,
                func="write",
                extra=extra,
            )
            record.relativeCreated -= (record.created - created) * 1000
            record.created = created
            record.msecs = int((created - int(created)) * 1000) + 0.0
            logger.handle(record)


class AccessLogMiddleware:
    """Logs and times HTTP requests; non-HTTP scopes (websocket, lifespan) pass straight through."""

    def __init__(self, app: ASGIApp, *, subgraph: str, access: AccessLog | None = None) -> None:
        self.app = app
        self.subgraph = subgraph
        self.access = access if access is not None else AccessLog(flush_s=0)
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
            self.access.write(scope["method"], scope["path"], status, elapsed)

    def _observe(self, scope: Scope, seconds: float) -> None:
        key = (scope.get("path", ""), scope["method"])
        child = self._latency.get(key)
        if child is None:
            child = REQUEST_LATENCY.labels(self.subgraph, *key)
            if len(self._latency) < MAX_CACHED_LABELS:  # paths of 404s are not bounded
                self._latency[key] = child
        child.observe(seconds)
