"""The hardening parts on their own: measuring, breaker, budget, buckets, dedup."""

from __future__ import annotations

import asyncio
import random

import pytest
from graphql import OperationDefinitionNode, parse

from router.limits.measure import fragments_of, measure_operation
from router.traffic.breaker import CircuitBreaker
from router.traffic.config import BreakerSettings, RateLimitSettings, RetrySettings
from router.traffic.dedup import InFlight
from router.traffic.rate_limit import RateLimiter
from router.traffic.retry import RetryBudget, backoff_delay


def _measure(query: str, cap: int | None = None):  # type: ignore[no-untyped-def]
    doc = parse(query)
    op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    return measure_operation(op, fragments_of(doc), cap)


def test_measure_follows_apollo_counting_rules() -> None:
    m = _measure("{ user { id name username: name } }")
    assert (m.depth, m.height, m.aliases, m.root_fields) == (2, 4, 1, 1)
    m = _measure("{ a: user { id } b: user { id } user { id } }")
    assert (m.root_fields, m.height, m.aliases) == (3, 6, 2)
    # fields merge within one selection set only
    m = _measure("{ user { id } user { name } }")
    assert (m.height, m.repeated_fields) == (3, 2)


def test_measure_counts_a_reused_fragment_at_each_place() -> None:
    q = "{ p { ...F r { ...F } } } fragment F on P { x: id name }"
    m = _measure(q)
    assert m.depth == 3
    assert m.height == 1 + 2 + 1 + 2  # p, {x, name}, r, {x, name}
    assert m.aliases == 2


def test_measure_survives_cycles_and_unknown_fragments() -> None:
    m = _measure(
        "{ p { ...A ...Z } } fragment A on P { q { ...B } } fragment B on P { q { ...A } }"
    )
    assert m.depth >= 2 and not m.truncated


def test_measure_stops_early_on_a_fragment_bomb() -> None:
    frags = " ".join(
        f"fragment F{i} on P {{ a {{ ...F{i + 1} }} b {{ ...F{i + 1} }} }}" for i in range(30)
    )
    m = _measure("{ ...F0 } " + frags + " fragment F30 on P { id }", cap=500)
    assert m.truncated and m.height == 501


def test_breaker_state_machine() -> None:
    now = [0.0]
    b = CircuitBreaker(
        BreakerSettings(min_requests=4, failure_ratio=0.5, open_s=5, window_s=10),
        clock=lambda: now[0],
    )
    for ok in (True, True, False):
        assert b.allow()
        b.record(ok)
    assert b.state == "closed"
    b.record(False)  # 2 of 4 failed
    assert b.state == "open" and not b.allow()
    now[0] += 5
    assert b.state == "half_open"
    assert b.allow() and not b.allow()  # one probe at a time
    b.release()  # the probe was cancelled: its slot comes back
    assert b.allow()
    b.record(True)
    assert b.state == "closed"


def test_breaker_window_forgets_old_failures() -> None:
    now = [0.0]
    b = CircuitBreaker(BreakerSettings(min_requests=2, window_s=5), clock=lambda: now[0])
    b.record(False)
    now[0] += 6
    b.record(False)
    assert b.state == "closed"  # the first failure left the window


def test_retry_budget_and_backoff() -> None:
    now = [100.0]
    budget = RetryBudget(ratio=0.5, min_per_s=0, clock=lambda: now[0])
    for _ in range(4):
        budget.record_request()
    assert [budget.try_spend() for _ in range(3)] == [True, True, False]
    now[0] += 11
    assert not budget.try_spend()  # the window is empty again
    s = RetrySettings(backoff_base_s=0.1, backoff_max_s=0.3)
    rng = random.Random(1)
    delays = [backoff_delay(s, n, rng) for n in range(6)]
    assert all(0 <= d <= min(0.3, 0.1 * 2**n) for n, d in enumerate(delays))


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


async def test_inflight_shares_and_cancels_when_the_last_caller_leaves() -> None:
    calls = 0
    gate = asyncio.Event()

    async def call() -> bytes:
        nonlocal calls
        calls += 1
        await gate.wait()
        return b"x"

    f: InFlight[bytes] = InFlight()
    t1 = asyncio.create_task(f.run("k", call))
    t2 = asyncio.create_task(f.run("k", call))
    await asyncio.sleep(0.01)
    assert calls == 1 and f.joined == 1
    t1.cancel()
    await asyncio.sleep(0.01)
    gate.set()
    assert await t2 == b"x"  # the other caller still gets the answer
    t3 = asyncio.create_task(f.run("k2", call))
    gate.clear()
    await asyncio.sleep(0.01)
    t3.cancel()
    with pytest.raises(asyncio.CancelledError):
        await t3
    await asyncio.sleep(0.01)
    assert len(f) == 0  # the abandoned shared call was cancelled and removed
