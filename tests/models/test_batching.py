"""The dynamic batcher: ordering, batching under load, isolation, cancellation, bounds."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable

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


def _gated_recorder() -> tuple[threading.Event, list[list[int]], Callable[[list[int]], list[int]]]:
    """A batch function that holds its first pass until the gate opens, recording sizes."""
    gate = threading.Event()
    passes: list[list[int]] = []

    def record(items: list[int]) -> list[int]:
        if not passes:
            gate.wait(5)
        passes.append(list(items))
        return items

    return gate, passes, record


async def _partial_batch_after_a_held_pass(
    batcher: DynamicBatcher[int, int], gate: threading.Event
) -> list[asyncio.Future[int]]:
    """Items 1 and 2 queued while item 0's pass is held; returns once that pass is over,
    with 1 and 2 forming the next (partial) batch."""
    first = asyncio.ensure_future(batcher.submit(0))  # occupies the worker
    await asyncio.sleep(0.05)
    queued = [asyncio.ensure_future(batcher.submit(i)) for i in (1, 2)]
    await asyncio.sleep(0.01)
    gate.set()
    assert await first == 0
    return queued


async def test_a_lingering_batch_goes_as_soon_as_it_is_full() -> None:
    gate, passes, record = _gated_recorder()
    batcher = DynamicBatcher(record, name="fill", max_batch_size=4, max_wait_ms=5000)
    try:
        early = await _partial_batch_after_a_held_pass(batcher, gate)
        await asyncio.sleep(0.05)  # the batch of two lingers for more
        started = time.perf_counter()
        late = [asyncio.ensure_future(batcher.submit(i)) for i in (3, 4)]
        assert await asyncio.gather(*early, *late) == [1, 2, 3, 4]
        elapsed = time.perf_counter() - started
    finally:
        await batcher.stop()
    assert passes == [[0], [1, 2, 3, 4]]
    assert elapsed < 1.0, f"a full batch still waited {elapsed:.3f} s"


async def test_with_a_linger_gap_a_batch_stops_waiting_when_arrivals_stop() -> None:
    gate, passes, record = _gated_recorder()
    batcher = DynamicBatcher(
        record, name="gap", max_batch_size=32, max_wait_ms=5000, linger_gap_ms=200
    )
    try:
        started = time.perf_counter()
        queued = await _partial_batch_after_a_held_pass(batcher, gate)
        for i in (3, 4, 5):  # arrivals closer together than the gap join the batch
            await asyncio.sleep(0.02)
            queued.append(asyncio.ensure_future(batcher.submit(i)))
        assert await asyncio.gather(*queued) == [1, 2, 3, 4, 5]
        elapsed = time.perf_counter() - started
    finally:
        await batcher.stop()
    assert passes == [[0], [1, 2, 3, 4, 5]]
    assert elapsed < 2.0, f"the batch waited {elapsed:.3f} s after arrivals stopped"


async def test_without_a_linger_gap_a_partial_batch_waits_max_wait() -> None:
    gate, passes, record = _gated_recorder()
    batcher = DynamicBatcher(record, name="nogap", max_batch_size=32, max_wait_ms=300)
    try:
        queued = await _partial_batch_after_a_held_pass(batcher, gate)
        started = time.perf_counter()
        assert await asyncio.gather(*queued) == [1, 2]
        elapsed = time.perf_counter() - started
    finally:
        await batcher.stop()
    assert passes == [[0], [1, 2]]
    assert elapsed > 0.2, f"the partial batch left after {elapsed:.3f} s, before max_wait"
