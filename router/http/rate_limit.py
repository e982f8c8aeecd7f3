"""Per-client token buckets (429 with Retry-After when empty)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

from router.settings.traffic import RateLimitSettings

__all__ = ["RateLimiter"]


class RateLimiter:
    def __init__(
        self, settings: RateLimitSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._rate = settings.capacity / settings.interval_s
        #: key -> [tokens, last refill time]
        self._buckets: OrderedDict[str, list[float]] = OrderedDict()

    def acquire(self, key: str, n: int = 1) -> int | None:
        """Take `n` tokens for `key`; None if granted, else whole seconds to wait."""
        now = self._clock()
        cap = float(self.settings.capacity)
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = [cap, now]
            if len(self._buckets) > self.settings.max_clients:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            b[0] = min(cap, b[0] + (now - b[1]) * self._rate)
            b[1] = now
        if n > cap:
            return max(1, math.ceil(self.settings.interval_s))
        if b[0] >= n:
            b[0] -= n
            return None
        return max(1, math.ceil((n - b[0]) / self._rate))
