"""The path of one subgraph call: headers -> dedup -> breaker -> retries -> cap -> timeout.

propagated headers      from the client request (rules in `headers.py`)
in-flight dedup         identical queries share one call (never mutations)
circuit breaker         fail fast while the subgraph is down
retries                 queries only, jittered back-off, budgeted
concurrency cap         calls in flight per subgraph
timeout                 per attempt, waiting for the cap included
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import orjson

from router.context import RequestContext, current_request
from router.deadline import within
from router.errors import SubgraphTimeout, SubgraphUnreachable
from router.settings.traffic import SubgraphTraffic
from router.subgraph_call.breaker import CircuitBreaker
from router.subgraph_call.dedup import InFlight
from router.subgraph_call.headers import HeaderPropagation
from router.subgraph_call.retry import RetryBudget, backoff_delay
from router.subgraph_call.transport import HttpTransport, RawResponse

__all__ = ["CircuitOpen", "SubgraphPolicy"]

log = logging.getLogger("router.traffic")


class CircuitOpen(SubgraphUnreachable):
    """The subgraph's breaker is open: the call was not made."""


class SubgraphPolicy:
    def __init__(
        self,
        name: str,
        traffic: SubgraphTraffic,
        headers: HeaderPropagation,
        timeout_s: float,
    ) -> None:
        self.name = name
        self.traffic = traffic
        self.headers = headers
        self.timeout_s = traffic.timeout_s or timeout_s
        self.breaker = CircuitBreaker(traffic.breaker) if traffic.breaker.enabled else None
        retry = traffic.retry
        self.budget = RetryBudget(retry.budget_ratio, retry.budget_min_per_s)
        self._cap = asyncio.Semaphore(traffic.max_concurrency) if traffic.max_concurrency else None
        self.inflight: InFlight[RawResponse] = InFlight()
        #: upstream attempts made (tests and metrics read it)
        self.attempts = 0

    def outgoing_headers(self, request: RequestContext | None) -> dict[str, str]:
        """The client's headers the propagation rules send to this subgraph."""
        return self.headers.outgoing(self.name, request.headers) if request is not None else {}

    async def send(
        self,
        transport: HttpTransport,
        query: str,
        body: bytes,
        headers: Mapping[str, str] | None = None,
    ) -> RawResponse:
        """One call; `headers` replaces the propagated ones (plugins had them first)."""
        if headers is not None:
            extra = headers
        else:
            ctx = current_request.get()
            extra = self.headers.outgoing(self.name, ctx.headers) if ctx is not None else {}
        mutation = query.lstrip().startswith("mutation")
        if self.traffic.dedup and not mutation:
            key = body + b"\x00" + orjson.dumps(extra, option=orjson.OPT_SORT_KEYS)
            return await self.inflight.run(key, lambda: self._call(transport, body, extra, False))
        return await self._call(transport, body, extra, mutation)

    async def _call(
        self, transport: HttpTransport, body: bytes, extra: Mapping[str, str], mutation: bool
    ) -> RawResponse:
        """Attempts until one may not be retried; one coroutine for all (this is the hot path)."""
        retry = self.traffic.retry
        if retry.enabled:  # the budget is only read to allow a retry
            self.budget.record_request()
        breaker = self.breaker
        attempt = 0
        while True:
            raw: RawResponse | None = None
            exc: Exception | None = None
            retryable = False
            wait = 0.0
            if breaker is not None and not breaker.allow():
                retry_in = breaker.retry_in()
                exc = CircuitOpen(
                    self.name, f"circuit breaker open, failing fast (next probe in {retry_in:.1f}s)"
                )
            else:
                self.attempts += 1
                try:
                    with within(self.timeout_s):  # waiting for the cap included
                        if self._cap is None:
                            raw = await transport.fetch(
                                body, extra, self.traffic.max_response_bytes
                            )
                        else:
                            async with self._cap:
                                raw = await transport.fetch(
                                    body, extra, self.traffic.max_response_bytes
                                )
                except TimeoutError:
                    exc = SubgraphTimeout(self.name, f"no answer within {self.timeout_s:g}s")
                    retryable = retry.on_timeout
                except SubgraphTimeout as e:
                    exc, retryable = e, retry.on_timeout
                except SubgraphUnreachable as e:
                    exc, retryable = e, retry.on_connection_error
                except BaseException:
                    if breaker is not None:
                        breaker.release()  # cancelled: a probe slot must not leak
                    raise
                if raw is not None:
                    retryable, wait = self._judge(raw)
                elif breaker is not None:
                    breaker.record(False)
            if (
                not retryable
                or mutation
                or not retry.enabled
                or attempt >= retry.max_retries
                or not self.budget.try_spend()
            ):
                if exc is not None:
                    raise exc
                assert raw is not None
                return raw
            delay = max(backoff_delay(retry, attempt), wait)
            log.info("retrying %s in %.3fs (attempt %d)", self.name, delay, attempt + 2)
            await asyncio.sleep(delay)
            attempt += 1

    def _judge(self, raw: RawResponse) -> tuple[bool, float]:
        """Record a response with the breaker; (retryable, minimum wait before a retry)."""
        retry = self.traffic.retry
        if self.breaker is not None:
            self.breaker.record(raw.status < 500 and raw.content.lstrip()[:1] == b"{")
        if raw.status == 429:
            wait = _retry_after(raw.headers.get("retry-after"))
            allowed = retry.on_429 and wait is not None and wait <= retry.max_retry_after_s
            return allowed, wait or 0.0
        if raw.status in retry.on_status:
            wait = _retry_after(raw.headers.get("retry-after")) or 0.0
            return wait <= retry.max_retry_after_s, wait
        return False, 0.0


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None  # an HTTP date: treat as unknown
