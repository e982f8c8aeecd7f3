"""Concurrent calls merged into one run; a run's failure reaches each of its callers."""

from __future__ import annotations

import asyncio

import pytest

from apps.fraud.features.coalesce import Coalescer


async def test_calls_that_arrive_during_a_run_form_the_next_one() -> None:
    runs: list[list[int]] = []
    release = asyncio.Event()

    async def run(items: list[int]) -> dict[int, int]:
        runs.append(items)
        await release.wait()
        return {i: i * 10 for i in items}

    merged = Coalescer(run)
    first = asyncio.ensure_future(merged([1]))
    await asyncio.sleep(0)
    later = [asyncio.ensure_future(merged(items)) for items in ([2, 3], [4], [2])]
    await asyncio.sleep(0)
    release.set()
    assert (await first) == {1: 10}
    results = await asyncio.gather(*later)
    assert runs == [[1], [2, 3, 4, 2]]
    assert all(r == {2: 20, 3: 30, 4: 40} for r in results)
    assert await merged([5]) == {5: 50} and runs[-1] == [5]  # idle again: runs at once


async def test_a_failed_run_fails_its_callers_only() -> None:
    release = asyncio.Event()

    async def run(items: list[int]) -> list[int]:
        await release.wait()
        if 0 in items:
            raise ValueError("zero")
        return items

    merged = Coalescer(run)
    failing = asyncio.ensure_future(merged([0]))
    await asyncio.sleep(0)  # its run has started
    same_round = [asyncio.ensure_future(merged([1])), asyncio.ensure_future(merged([2]))]
    release.set()
    with pytest.raises(ValueError, match="zero"):
        await failing
    assert await asyncio.gather(*same_round) == [[1, 2], [1, 2]]
