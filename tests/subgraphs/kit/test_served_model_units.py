"""ServedModel without HTTP: explicit directories, load failures, overload, failed promotions."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from models.batching import Overloaded
from subgraphs.kit import (
    Artifact,
    ModelNotReady,
    ModelOverloaded,
    ServedModel,
    UnknownModelVersion,
)
from tests.helpers.kit_models import promote, register, registry_url


def _folder(root: Path, name: str, factor: int) -> Path:
    path = root / name
    path.mkdir(parents=True)
    (path / "factor.txt").write_text(str(factor))
    return path


def _load(artifact: Artifact) -> int:
    return int((artifact.path / "factor.txt").read_text())


def _times(factor: int, items: list[int]) -> list[int]:
    return [factor * i for i in items]


async def test_an_explicit_directory_serves_under_its_name(tmp_path: Path) -> None:
    served = ServedModel("scale", load=_load, predict=_times, path=_folder(tmp_path, "local", 3))
    with pytest.raises(ModelNotReady):
        await served(1)
    await served.start()
    try:
        assert served.ready and served.error is None
        output, model = await served(5)
        assert output == 15 and (model.name, model.version) == ("scale", "local")
    finally:
        await served.stop()
    assert served.model is None and not served.ready


async def test_the_environment_names_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHORUS_FRAUD_SCORE_MODEL_PATH", str(_folder(tmp_path, "v9", 2)))
    served = ServedModel("fraud-score", load=_load, predict=_times)
    await served.start()
    try:
        assert (await served(4)) == (8, served.ref)
        assert served.ref is not None and served.ref.version == "v9"
    finally:
        await served.stop()


async def test_a_load_failure_is_the_reason_and_the_model_is_not_ready(tmp_path: Path) -> None:
    served = ServedModel("scale", load=_load, predict=_times, path=tmp_path / "missing")
    await served.start()
    try:
        assert not served.ready
        assert served.error is not None
        assert "cannot load model 'scale' version missing" in served.error
        assert "FileNotFoundError" in served.error
        with pytest.raises(ModelNotReady) as caught:
            await served(1)
        assert caught.value.extensions == {"code": "MODEL_NOT_READY"}
        assert "cannot load" in caught.value.message
    finally:
        await served.stop()
    optional = ServedModel(
        "extra", load=_load, predict=_times, path=tmp_path / "missing", required=False
    )
    await optional.start()
    try:
        assert optional.ready and optional.error is None and optional.model is None
    finally:
        await optional.stop()


async def test_a_full_queue_is_overloaded(tmp_path: Path) -> None:
    gate = threading.Event()

    def slow(factor: int, items: list[int]) -> list[int]:
        gate.wait(5)
        return _times(factor, items)

    served = ServedModel(
        "slow",
        load=_load,
        predict=slow,
        path=_folder(tmp_path, "v1", 1),
        max_batch_size=1,
        max_queue=1,
    )
    await served.start()
    try:
        first = asyncio.ensure_future(served(1))
        deadline = time.monotonic() + 5
        while served.batcher.in_flight == 0:  # the first call holds the model thread
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        second = asyncio.ensure_future(served(2))  # queued
        await asyncio.sleep(0.01)
        with pytest.raises(ModelOverloaded) as caught:
            await served(3)
        assert isinstance(caught.value, Overloaded)
        assert caught.value.extensions == {"code": "OVERLOADED"}
        assert "limit 1" in caught.value.message
        gate.set()
        assert [p.output for p in await asyncio.gather(first, second)] == [1, 2]
    finally:
        gate.set()
        await served.stop()


async def test_a_broken_promotion_keeps_the_serving_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = await asyncio.to_thread(registry_url, tmp_path)
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    await register(url, "1", _folder(tmp_path, "one", 1), "production")
    await register(url, "2", tmp_path / "not-there")
    await register(url, "3", _folder(tmp_path, "three", 3))
    served = ServedModel("sentiment", load=_load, predict=_times, poll_s=0.05)
    await served.start()
    try:
        assert served.ref is not None and served.ref.version == "1"
        await promote(url, "2")
        await asyncio.sleep(0.4)  # several polls: version 2 was tried once and failed
        assert (await served(7)).output == 7 and served.ready
        with pytest.raises(UnknownModelVersion):
            await served.reload("nope")
        await promote(url, "3")
        deadline = time.monotonic() + 5
        while served.ref.version != "3":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert (await served(7)) == (21, served.ref)
    finally:
        await served.stop()
