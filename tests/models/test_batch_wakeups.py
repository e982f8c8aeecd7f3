"""A finished batch wakes its callers a few per loop iteration, so the loop keeps polling."""

from __future__ import annotations

import asyncio
import threading

from models.batching import RESOLVE_SLICE, DynamicBatcher


async def test_callers_of_one_batch_wake_over_several_iterations() -> None:
    gate = threading.Event()

    def gated(items: list[int]) -> list[int]:
        gate.wait(5)
        return [i * 3 for i in items]

    batcher = DynamicBatcher(gated, name="wakeups", max_batch_size=32, max_wait_ms=50)
    ticks = 0
    stop = False

    async def ticker() -> None:
        nonlocal ticks
        while not stop:
            ticks += 1
            await asyncio.sleep(0)

    woke: list[tuple[int, int]] = []

    async def call(i: int) -> int:
        result = await batcher.submit(i)
        woke.append((i, ticks))
        return result

    clock = asyncio.ensure_future(ticker())
    try:
        first = asyncio.ensure_future(call(-1))  # occupies the model while the rest queue
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(call(i)) for i in range(24)]
        await asyncio.sleep(0.05)
        gate.set()
        assert await first == -3
        assert await asyncio.gather(*rest) == [i * 3 for i in range(24)]
    finally:
        stop = True
        await clock
        await batcher.stop()
    assert batcher.passes == 2
    batch = [tick for i, tick in woke if i >= 0]
    # 24 callers, RESOLVE_SLICE per iteration: the ticker ran between the slices.
    assert RESOLVE_SLICE <= 8 and len(set(batch)) >= 3, batch
    assert [i for i, _ in woke if i >= 0] == list(range(24))
