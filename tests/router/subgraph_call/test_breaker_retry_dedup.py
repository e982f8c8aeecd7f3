"""The subgraph-call parts on their own: circuit breaker, retry budget and back-off, dedup."""

from __future__ import annotations

import asyncio
import random

import pytest

from router.settings.traffic import BreakerSettings, RetrySettings
from router.subgraph_call.breaker import CircuitBreaker
from router.subgraph_call.dedup import InFlight
from router.subgraph_call.retry import RetryBudget, backoff_delay


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


class _Gated:
    """An upstream call that waits for `gate`, then answers (or fails); counts its calls."""

    def __init__(self, fail: bool = False) -> None:
        self.calls = 0
        self.gate = asyncio.Event()
        self.fail = fail

    async def __call__(self) -> bytes:
        self.calls += 1
        await self.gate.wait()
        if self.fail:
            raise ConnectionError("down")
        return b"x%d" % self.calls


async def test_inflight_shares_and_cancels_when_the_last_caller_leaves() -> None:
    call = _Gated()
    f: InFlight[bytes] = InFlight()
    t1 = asyncio.create_task(f.run("k", call))
    t2 = asyncio.create_task(f.run("k", call))
    t3 = asyncio.create_task(f.run("k", call))
    await asyncio.sleep(0.01)
    assert call.calls == 1 and f.joined == 2
    t1.cancel()  # the leader leaves: one waiting caller makes the call anew, the other joins it
    await asyncio.sleep(0.01)
    assert call.calls == 2 and len(f) == 1
    call.gate.set()
    assert await t2 == b"x2" and await t3 == b"x2"  # neither sees the leader's cancellation
    with pytest.raises(asyncio.CancelledError):
        await t1
    t4 = asyncio.create_task(f.run("k2", call))
    call.gate.clear()
    await asyncio.sleep(0.01)
    t4.cancel()
    with pytest.raises(asyncio.CancelledError):
        await t4
    await asyncio.sleep(0.01)
    assert len(f) == 0  # the abandoned shared call was cancelled and removed


async def test_inflight_shares_a_failure_with_every_waiting_caller() -> None:
    call = _Gated(fail=True)
    f: InFlight[bytes] = InFlight()
    tasks = [asyncio.create_task(f.run("k", call)) for _ in range(3)]
    await asyncio.sleep(0.01)
    call.gate.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert call.calls == 1 and len(f) == 0
    assert all(isinstance(r, ConnectionError) and str(r) == "down" for r in results)
