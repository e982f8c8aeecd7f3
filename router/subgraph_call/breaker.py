"""A circuit breaker per subgraph: closed -> open -> half-open -> closed.

Closed: calls pass and their outcomes are counted in a rolling window of
one-second buckets. When the window holds at least `min_requests` calls and
the failure ratio reaches `failure_ratio`, the breaker opens: calls fail at
once (no connection, no timeout wait) for `open_s`. Then it is half-open: up
to `half_open_probes` calls go through; a success closes it, a failure opens
it again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum

from router.errors import SubgraphTimeout, SubgraphUnreachable
from router.plugins.transport import Layer, RawResponse, SubgraphRequest, Transport
from router.settings.traffic import BreakerSettings

__all__ = ["BreakerLayer", "BreakerState", "CircuitBreaker", "CircuitOpen"]


class CircuitOpen(SubgraphUnreachable):
    """The subgraph's breaker is open: the call was not made."""


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self, settings: BreakerSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._opened_at = 0.0
        self._probes = 0
        #: [second, calls, failures]
        self._buckets: deque[list[int]] = deque()

    @property
    def state(self) -> BreakerState:
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.settings.open_s
        ):
            self._state = BreakerState.HALF_OPEN
            self._probes = 0
        return self._state

    def allow(self) -> bool:
        """May a call go out now? A True in half-open state takes a probe slot."""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and self._probes < self.settings.half_open_probes:
            self._probes += 1
            return True
        return False

    def retry_in(self) -> float:
        """Seconds until an open breaker lets a probe through."""
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self.settings.open_s - (self._clock() - self._opened_at))

    def record(self, ok: bool) -> None:
        if ok and self._state is BreakerState.CLOSED:  # the hot path: count and go
            now = int(self._clock())
            buckets = self._buckets
            if buckets and buckets[-1][0] == now:
                buckets[-1][1] += 1
                return
        state = self.state
        if state is BreakerState.HALF_OPEN:
            self._probes = max(0, self._probes - 1)
            if ok:
                self._state = BreakerState.CLOSED
                self._buckets.clear()
            else:
                self._open()
            return
        if state is BreakerState.OPEN:
            return  # a call that started before the breaker opened
        now = int(self._clock())
        self._trim(now)
        if self._buckets and self._buckets[-1][0] == now:
            b = self._buckets[-1]
        else:
            b = [now, 0, 0]
            self._buckets.append(b)
        b[1] += 1
        b[2] += 0 if ok else 1
        if not ok:
            calls = sum(x[1] for x in self._buckets)
            fails = sum(x[2] for x in self._buckets)
            if calls >= self.settings.min_requests and fails / calls >= self.settings.failure_ratio:
                self._open()

    def release(self) -> None:
        """A probe ended without an outcome (cancelled): free its slot."""
        if self._state is BreakerState.HALF_OPEN:
            self._probes = max(0, self._probes - 1)

    def _open(self) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._buckets.clear()

    def _trim(self, now: int) -> None:
        horizon = now - self.settings.window_s
        while self._buckets and self._buckets[0][0] <= horizon:
            self._buckets.popleft()


class BreakerLayer(Layer):
    """Fails fast while the breaker is open; records each attempt's outcome.

    A failure is a timeout, a connection error, an HTTP 5xx or a body that is not
    a JSON object; an attempt cancelled before its outcome frees its probe slot.
    """

    __slots__ = ("breaker", "subgraph")

    def __init__(self, inner: Transport, breaker: CircuitBreaker, subgraph: str) -> None:
        super().__init__(inner)
        self.breaker = breaker
        self.subgraph = subgraph

    async def send(self, request: SubgraphRequest) -> RawResponse:
        breaker = self.breaker
        if not breaker.allow():
            raise CircuitOpen(
                self.subgraph,
                f"circuit breaker open, failing fast (next probe in {breaker.retry_in():.1f}s)",
            )
        try:
            raw = await self.inner.send(request)
        except (SubgraphTimeout, SubgraphUnreachable):
            breaker.record(False)
            raise
        except BaseException:
            breaker.release()
            raise
        breaker.record(raw.status < 500 and raw.content.lstrip()[:1] == b"{")
        return raw
