"""`router.http.rate_limit.RateLimiter` on its own: per-client token buckets."""

from __future__ import annotations

from router.http.rate_limit import RateLimiter
from router.settings.traffic import RateLimitSettings


def test_rate_limiter_refills_and_evicts() -> None:
    now = [0.0]
    rl = RateLimiter(
        RateLimitSettings(capacity=2, interval_s=2, max_clients=2), clock=lambda: now[0]
    )
    assert rl.acquire("a") is None and rl.acquire("a") is None
    assert rl.acquire("a") == 1
    now[0] += 1  # one token back
    assert rl.acquire("a") is None
    assert rl.acquire("a", 5) == 2  # never grantable: one interval
    rl.acquire("b")
    rl.acquire("c")  # evicts "a" (least recently used)
    assert len(rl._buckets) == 2 and "a" not in rl._buckets
