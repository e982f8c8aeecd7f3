"""The connection pool's slots: a cap, first come first served, nothing leaked on cancel."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, cast

import pytest

from router.subgraph_call.slots import Slots


async def _hold(slots: Slots, order: list[int], i: int, release: asyncio.Event) -> None:
    if (wait := slots.take()) is not None:
        await wait
    order.append(i)
    try:
        await release.wait()
    finally:
        slots.give_back()


async def test_no_more_than_size_hold_a_slot_and_waiters_go_in_order() -> None:
    slots, order, release = Slots(2), [], asyncio.Event()
    tasks = [asyncio.create_task(_hold(slots, order, i, release)) for i in range(5)]
    await asyncio.sleep(0)
    assert order == [0, 1] and slots.in_use == 2
    release.set()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]
    assert slots.in_use == 0


async def test_a_newcomer_cannot_take_a_slot_handed_to_a_waiter() -> None:
    slots = Slots(1)
    assert slots.take() is None
    waiting = slots.take()
    assert waiting is not None
    waiter = asyncio.ensure_future(waiting)
    await asyncio.sleep(0)
    slots.give_back()  # handed to the waiter, which has not run yet
    newcomer = slots.take()
    assert newcomer is not None  # so the newcomer waits
    cast(Coroutine[Any, Any, None], newcomer).close()
    await waiter
    assert slots.in_use == 1


async def test_a_cancelled_waiter_leaks_no_slot() -> None:
    slots = Slots(1)
    assert slots.take() is None
    wait_a, wait_b = slots.take(), slots.take()
    assert wait_a is not None and wait_b is not None
    a, b = asyncio.ensure_future(wait_a), asyncio.ensure_future(wait_b)
    await asyncio.sleep(0)
    slots.give_back()  # a is handed the slot ...
    a.cancel()  # ... and cancelled before it runs: the slot passes on to b
    with pytest.raises(asyncio.CancelledError):
        await a
    await b
    assert slots.in_use == 1
    slots.give_back()
    assert slots.in_use == 0 and slots.take() is None


def test_a_pool_needs_a_slot() -> None:
    with pytest.raises(ValueError):
        Slots(0)
