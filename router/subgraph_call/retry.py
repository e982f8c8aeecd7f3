"""Retries of subgraph queries: when, how long to wait, and how many the budget allows.

Only queries are retried, never mutations. With `retry.enabled`, a query is
retried on the configured statuses, connection errors (and timeouts if asked)
with full-jitter exponential back-off, up to `max_retries`. Without it, one
case is still retried once: a 503 that says when to come back (`Retry-After`,
seconds or an HTTP date). Either way a retry must fit the request's deadline
(the wait must end before it) and a `Retry-After` may not exceed
`max_retry_after_s`; with `retry.enabled` the retry budget must allow it too,
so retries cannot multiply the load on a failing subgraph (the one 503 retry
can at most double it, for calls the subgraph asked to have repeated).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from router.deadline import remaining
from router.errors import SubgraphError, SubgraphTimeout, SubgraphUnreachable
from router.plugins.transport import Layer, RawResponse, SubgraphRequest, Transport
from router.settings.traffic import RetrySettings
from router.subgraph_call.breaker import CircuitOpen

__all__ = ["RetryBudget", "RetryLayer", "backoff_delay", "retry_after"]

log = logging.getLogger("router.traffic")

_BUDGET_WINDOW_S = 10


def backoff_delay(settings: RetrySettings, attempt: int, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` (0-based): uniform in [0, min(max, base*2^n)]."""
    cap = min(settings.backoff_max_s, settings.backoff_base_s * (2**attempt))
    return (rng or random).uniform(0.0, cap)


class RetryBudget:
    """Retries allowed: `ratio` x requests of the last 10 s plus `min_per_s` x 10."""

    def __init__(
        self, ratio: float, min_per_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ratio = ratio
        self.reserve = min_per_s * _BUDGET_WINDOW_S
        self._clock = clock
        #: [second, requests, retries]
        self._buckets: deque[list[int]] = deque()

    def _bucket(self) -> list[int]:
        now = int(self._clock())
        while self._buckets and self._buckets[0][0] <= now - _BUDGET_WINDOW_S:
            self._buckets.popleft()
        if self._buckets and self._buckets[-1][0] == now:
            return self._buckets[-1]
        b = [now, 0, 0]
        self._buckets.append(b)
        return b

    def record_request(self) -> None:
        self._bucket()[1] += 1

    def try_spend(self) -> bool:
        b = self._bucket()
        requests = sum(x[1] for x in self._buckets)
        retries = sum(x[2] for x in self._buckets)
        if retries + 1 > self.reserve + self.ratio * requests:
            return False
        b[2] += 1
        return True


def retry_after(
    headers: Mapping[str, str], now: Callable[[], datetime] | None = None
) -> float | None:
    """Seconds a `Retry-After` header asks to wait (delay-seconds or HTTP date); None if absent
    or unreadable."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; an obsolete form may parse naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or _utcnow)()).total_seconds())


def _utcnow() -> datetime:
    return datetime.now(UTC)


class RetryLayer(Layer):
    __slots__ = ("budget", "settings", "subgraph")

    def __init__(
        self, inner: Transport, settings: RetrySettings, budget: RetryBudget, subgraph: str
    ) -> None:
        super().__init__(inner)
        self.settings = settings
        self.budget = budget
        self.subgraph = subgraph

    async def send(self, request: SubgraphRequest) -> RawResponse:
        if request.kind != "query":  # a mutation is never retried
            return await self.inner.send(request)
        s = self.settings
        if s.enabled:  # the one 503 retry is bounded by the deadline alone: no count per call
            self.budget.record_request()
        attempt = 0
        while True:
            raw: RawResponse | None = None
            error: SubgraphError | None = None
            wait: float | None = None  # None: not retryable
            try:
                raw = await self.inner.send(request)
            except CircuitOpen:
                raise
            except SubgraphTimeout as exc:
                error, wait = exc, 0.0 if s.enabled and s.on_timeout else None
            except SubgraphUnreachable as exc:
                error, wait = exc, 0.0 if s.enabled and s.on_connection_error else None
            else:
                if raw.status < 400:  # the usual answer, before any retry decision
                    return raw
                wait = self._wait(raw)
            if wait is not None and attempt < (s.max_retries if s.enabled else 1):
                delay = max(backoff_delay(s, attempt), wait) if s.enabled else wait
                if delay < remaining() and (not s.enabled or self.budget.try_spend()):
                    log.info("retrying %s in %.3fs (attempt %d)", self.subgraph, delay, attempt + 2)
                    await asyncio.sleep(delay)
                    attempt += 1
                    continue
            if error is not None:
                raise error
            assert raw is not None
            return raw

    def _wait(self, raw: RawResponse) -> float | None:
        """The least wait before retrying this answer; None if it is not retried."""
        s = self.settings
        status = raw.status
        if not s.enabled:
            if status != 503 or not s.on_503_with_retry_after:
                return None
            wait = retry_after(raw.headers)
        elif status == 429:
            wait = retry_after(raw.headers) if s.on_429 else None
        elif status in s.on_status:
            wait = retry_after(raw.headers) or 0.0
        else:
            return None
        return wait if wait is not None and wait <= s.max_retry_after_s else None
