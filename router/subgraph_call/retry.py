"""Retry decisions: full-jitter exponential back-off and a retry budget."""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable

from router.settings.traffic import RetrySettings

__all__ = ["RetryBudget", "backoff_delay"]

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
