"""`router.deadline.within`: asyncio.timeout's semantics with one sweep timer per loop."""

from __future__ import annotations

import asyncio
import time

import pytest

from router import deadline
from router.deadline import RESOLUTION_S, within


async def test_a_late_body_raises_timeout_error_soon_after_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        with within(0.05):
            await asyncio.sleep(5)
    took = time.monotonic() - started
    assert 0.05 <= took < 0.05 + RESOLUTION_S + 0.2


async def test_a_prompt_body_is_untouched_and_leaves_no_timer() -> None:
    with within(1.0):
        await asyncio.sleep(0.01)
    await asyncio.sleep(RESOLUTION_S * 2)  # a leftover cancellation would land here
    sweeper = deadline._sweepers[asyncio.get_running_loop()]
    assert not sweeper.scopes and sweeper.handle is None


async def test_a_cancellation_from_outside_stays_a_cancellation() -> None:
    async def body() -> None:
        with within(5.0):
            await asyncio.sleep(5)

    task = asyncio.create_task(body())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_inner_expiry_is_caught_and_the_outer_scope_goes_on() -> None:
    with within(2.0):
        with pytest.raises(TimeoutError):
            with within(0.03):
                await asyncio.sleep(5)
        await asyncio.sleep(0.05)  # no stray cancellation after the inner timeout
        assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_outer_expiry_is_reported_by_the_outer_scope_only() -> None:
    inner_saw: list[type[BaseException]] = []
    with pytest.raises(TimeoutError):
        with within(0.03):
            try:
                with within(5.0):
                    await asyncio.sleep(5)
            except BaseException as exc:
                inner_saw.append(type(exc))
                raise
    assert inner_saw == [asyncio.CancelledError]


async def test_many_concurrent_scopes_expire_independently() -> None:
    async def one(limit: float, work: float) -> str:
        try:
            with within(limit):
                await asyncio.sleep(work)
            return "done"
        except TimeoutError:
            return "timeout"

    results = await asyncio.gather(*(one(0.05, 0.01 if i % 2 else 1.0) for i in range(50)))
    assert results == ["timeout" if i % 2 == 0 else "done" for i in range(50)]
