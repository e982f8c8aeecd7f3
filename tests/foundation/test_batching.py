"""The dynamic batcher: ordering, batching under load, isolation, cancellation, bounds."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from models.batching import BatchStats, DynamicBatcher, Overloaded


def _double(items: list[int]) -> list[int]:
    return [i * 2 for i in items]


async def test_results_come_back_to_their_own_callers_in_order() -> None:
    batcher = DynamicBatcher(_double, name="double", max_batch_size=8)
    try:
        results = await asyncio.gather(*(batcher.submit(i) for i in range(50)))
    finally:
        await batcher.stop()
    assert results == [i * 2 for i in range(50)]


async def test_concurrent_requests_share_forward_passes() -> None:
    sizes: list[int] = []

    def slow(items: list[int]) -> list[int]:
        sizes.append(len(items))
        time.sleep(0.02)
        return items

    batcher = DynamicBatcher(slow, name="slow", max_batch_size=16, max_wait_ms=5)
    try:
        await asyncio.gather(*(batcher.submit(i) for i in range(64)))
    finally:
        await batcher.stop()
    assert sum(sizes) == 64
    assert len(sizes) <= 8, f"64 concurrent requests took {len(sizes)} passes: {sizes}"
    assert max(sizes) <= 16


async def test_a_lone_request_is_not_held_for_max_wait() -> None:
    batcher = DynamicBatcher(_double, name="lone", max_wait_ms=500)
    try:
        await batcher.submit(1)  # warm the worker thread
        started = time.perf_counter()
        assert await batcher.submit(21) == 42
        elapsed = time.perf_counter() - started
    finally:
        await batcher.stop()
    assert elapsed < 0.25, f"a lone request waited {elapsed:.3f} s"


async def test_a_failing_item_fails_alone() -> None:
    def picky(items: list[int]) -> list[int]:
        if 13 in items:
            raise ValueError("13 is unlucky")
        return items

    gate = threading.Event()

    def gated(items: list[int]) -> list[int]:
        gate.wait(2)
        return picky(items)

    batcher = DynamicBatcher(gated, name="picky", max_batch_size=32)
    try:
        tasks = [asyncio.ensure_future(batcher.submit(i)) for i in (1, 13, 2, 3)]
        await asyncio.sleep(0.05)
        gate.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await batcher.stop()
    assert results[0] == 1 and results[2] == 2 and results[3] == 3
    assert isinstance(results[1], ValueError) and "unlucky" in str(results[1])


async def test_a_cancelled_request_is_skipped() -> None:
    seen: list[int] = []
    release = threading.Event()

    def record(items: list[int]) -> list[int]:
        if items == [0]:
            release.wait(2)
        seen.extend(items)
        return items

    batcher = DynamicBatcher(record, name="cancel", max_batch_size=4)
    try:
        first = asyncio.ensure_future(batcher.submit(0))  # occupies the worker
        await asyncio.sleep(0.05)
        dropped = asyncio.ensure_future(batcher.submit(99))
        kept = asyncio.ensure_future(batcher.submit(7))
        await asyncio.sleep(0.01)
        dropped.cancel()
        release.set()
        assert await first == 0
        assert await kept == 7
    finally:
        await batcher.stop()
    assert 99 not in seen


async def test_a_full_queue_answers_overloaded() -> None:
    release = threading.Event()

    def blocked(items: list[int]) -> list[int]:
        release.wait(5)
        return items

    batcher = DynamicBatcher(blocked, name="bounded", max_batch_size=1, max_queue=3)
    try:
        running = asyncio.ensure_future(batcher.submit(0))
        await asyncio.sleep(0.05)  # the worker holds item 0
        queued = [asyncio.ensure_future(batcher.submit(i)) for i in (1, 2, 3)]
        await asyncio.sleep(0.01)
        with pytest.raises(Overloaded) as info:
            await batcher.submit(4)
        assert info.value.code == "OVERLOADED"
        assert "limit 3" in str(info.value)
        release.set()
        assert await asyncio.gather(running, *queued) == [0, 1, 2, 3]
    finally:
        release.set()
        await batcher.stop()


async def test_the_event_loop_stays_responsive_during_a_forward_pass() -> None:
    def busy(items: list[int]) -> list[int]:
        time.sleep(0.3)  # stands in for a forward pass that releases the GIL
        return items

    batcher = DynamicBatcher(busy, name="busy")
    try:
        work = asyncio.ensure_future(batcher.submit(1))
        await asyncio.sleep(0.01)
        started = time.perf_counter()
        await asyncio.sleep(0.01)
        lag = time.perf_counter() - started
        assert await work == 1
    finally:
        await batcher.stop()
    assert lag < 0.1, f"the loop was blocked for {lag:.3f} s"


async def test_padding_aware_grouping_keeps_lengths_together() -> None:
    groups: list[list[str]] = []
    gate = threading.Event()

    def record(items: list[str]) -> list[int]:
        gate.wait(2)
        groups.append(items)
        return [len(i) for i in items]

    stats: list[BatchStats] = []
    batcher = DynamicBatcher(
        record, name="pad", max_batch_size=8, sort_key=len, on_batch=stats.append
    )
    try:
        blocker = asyncio.ensure_future(batcher.submit("x"))
        await asyncio.sleep(0.05)
        texts = ["a" * 40, "bb", "c" * 45, "dd", "e" * 3]
        pending = [asyncio.ensure_future(batcher.submit(t)) for t in texts]
        await asyncio.sleep(0.01)
        gate.set()
        await blocker
        assert await asyncio.gather(*pending) == [len(t) for t in texts]
    finally:
        await batcher.stop()
    short = next(g for g in groups if "bb" in g)
    assert all(len(t) <= 3 for t in short)
    assert any(set(g) == {"a" * 40, "c" * 45} for g in groups)
    assert stats[-1].size == 5 and stats[-1].name == "pad"
