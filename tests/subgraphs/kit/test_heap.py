"""A serving subgraph's collector is tuned once its models and start-up hooks are done."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from subgraphs.kit import create_app
from subgraphs.kit.heap import FREEZE_ENV, YOUNG_THRESHOLD_ENV, tune_heap
from tests.helpers.tiny_subgraphs import alpha_schema


@pytest.fixture
def gc_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


async def test_the_heap_is_frozen_and_young_collections_are_rarer(
    gc_restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FREEZE_ENV, "1")
    monkeypatch.setenv(YOUNG_THRESHOLD_ENV, "12345")
    gc.unfreeze()
    await tune_heap()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == 12345


async def test_both_can_be_switched_off(gc_restored: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FREEZE_ENV, "0")
    monkeypatch.setenv(YOUNG_THRESHOLD_ENV, "0")
    gc.unfreeze()
    before = gc.get_threshold()
    await tune_heap()
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


@pytest.mark.parametrize("raw", ["many", "-5"])
async def test_a_bad_threshold_is_a_clear_error(raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(YOUNG_THRESHOLD_ENV, raw)
    with pytest.raises(ValueError, match=YOUNG_THRESHOLD_ENV):
        await tune_heap()


def test_the_kit_tunes_the_heap_after_the_start_up_hooks(
    gc_restored: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FREEZE_ENV, "1")
    monkeypatch.setenv(YOUNG_THRESHOLD_ENV, "23456")
    gc.unfreeze()
    seen: list[int] = []

    async def hook() -> None:  # a subgraph's own start-up work: not tuned yet
        seen.append(gc.get_threshold()[0])

    with TestClient(create_app(alpha_schema(), name="alpha", on_startup=[hook])) as client:
        deadline = time.monotonic() + 10
        while not client.get("/ready").json()["ready"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.get("/ready").json()["ready"] is True
        assert gc.get_threshold()[0] == 23456 and gc.get_freeze_count() > 0
    assert seen and seen[0] != 23456
