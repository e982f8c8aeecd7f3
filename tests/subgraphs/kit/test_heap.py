"""A serving subgraph's collector is tuned once its models and start-up hooks are done."""

from __future__ import annotations

import gc
import os
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from subgraphs.kit import create_app
from subgraphs.kit.heap import FREEZE_ENV, YOUNG_THRESHOLD_ENV, tune_heap
from tests.helpers import kit_sentiment as example
from tests.helpers.kit_models import register, registry_url, save_weights, serving
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


class _Cyclic:
    """Stands for a model object that refers to itself (as module graphs often do)."""

    def __init__(self) -> None:
        self.me = self


async def test_a_model_swap_lets_the_frozen_old_version_be_collected(
    gc_restored: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(FREEZE_ENV, "1")
    monkeypatch.setenv(YOUNG_THRESHOLD_ENV, "0")
    monkeypatch.setenv("CHORUS_DATABASE_URL", registry_url(tmp_path))
    monkeypatch.setenv("CHORUS_MODEL_POLL_S", "0")
    url = os.environ["CHORUS_DATABASE_URL"]
    await register(url, "1", save_weights(tmp_path / "v1"), "production")
    await register(url, "2", save_weights(tmp_path / "v2"))
    gc.unfreeze()
    async with serving(example.app()):
        old = example.classifier.model
        old.cycle = _Cyclic()  # type: ignore[union-attr]
        gone = weakref.ref(old.cycle)  # type: ignore[union-attr]
        await tune_heap()  # frozen with the serving version
        assert gc.get_freeze_count() > 0
        del old
        await example.classifier.reload("2")
        # only the cycle keeps the old version's object alive, and it was frozen: the swap
        # refreezes, so the collector saw it
        assert gone() is None
        assert gc.get_freeze_count() > 0
