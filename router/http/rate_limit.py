"""Per-client token buckets (429 with Retry-After when empty)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import ClassVar

from pydantic import BaseModel

from router.errors import ErrorCode
from router.plugins import HttpRequestContext, Plugin, Reject
from router.settings.traffic import RateLimitSettings

__all__ = ["RateLimitPlugin", "RateLimiter"]


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


class RateLimitPlugin(Plugin):
    """429 REQUEST_RATE_LIMITED (with Retry-After) once a client's bucket is empty.

    A client is its `key_header` value when set and sent, else its address;
    each operation of a batch takes one token.
    """

    Config: ClassVar[type[BaseModel]] = RateLimitSettings

    def __init__(self, config: RateLimitSettings) -> None:
        super().__init__(config)
        self.limiter = RateLimiter(config)
        self.key_header = config.key_header.lower() if config.key_header else None

    async def http_operations(self, ctx: HttpRequestContext) -> None:
        wait = self.limiter.acquire(self._client_key(ctx), len(ctx.operations))
        if wait is not None:
            raise Reject(
                429,
                "Your request has been rate limited",
                ErrorCode.REQUEST_RATE_LIMITED,
                headers={"retry-after": str(wait)},
            )

    def _client_key(self, ctx: HttpRequestContext) -> str:
        if self.key_header:
            v = ctx.headers.get(self.key_header)
            if v:
                return "h:" + v
        return "ip:" + (ctx.client_host or "unknown")
