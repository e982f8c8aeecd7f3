"""Model management on both databases: the evaluation gate, forced promotions, rollbacks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

import migrations
from models.db import create_engine
from models.evaluation_gate import check, gate_record
from models.model_management import PromotionRefused, promote_model, rollback_model
from models.registry import ModelRegistry, RegistryError

HELD_OUT = "/data/held-out.json"


@pytest.fixture
async def registry(db_url: str) -> AsyncIterator[ModelRegistry]:
    await asyncio.to_thread(migrations.upgrade, db_url)
    engine = create_engine(db_url)
    try:
        yield ModelRegistry(engine)
    finally:
        await engine.dispose()


async def _candidate(registry: ModelRegistry, version: str, accuracy: float) -> None:
    """A candidate compared with production on the held-out data, as a training job does."""
    await registry.register("toy", version, f"/m/toy/{version}", {"accuracy": 1.0}, "h")
    production = await registry.production("toy")
    await registry.record_evaluation("toy", version, HELD_OUT, {"accuracy": accuracy})
    theirs = None
    if production is not None:
        theirs = production.evaluations.get(HELD_OUT, {}).get("accuracy")
    gate = gate_record("accuracy", HELD_OUT, accuracy, production, theirs)
    await registry.record_gate("toy", version, gate)


async def test_the_gate_refuses_a_worse_candidate_and_force_overrides(
    registry: ModelRegistry,
) -> None:
    await registry.register("toy", "v1", "/m/toy/v1", {"accuracy": 1.0}, "h", stage="production")
    await registry.record_evaluation("toy", "v1", HELD_OUT, {"accuracy": 0.8})
    await _candidate(registry, "v2", 0.6)

    with pytest.raises(PromotionRefused, match=r"worse than production v1 on accuracy") as info:
        await promote_model(registry, "toy", "v2")
    assert (info.value.gate.candidate, info.value.gate.production) == (0.6, 0.8)
    assert (await registry.production("toy")).version == "v1"  # type: ignore[union-attr]

    done = await promote_model(registry, "toy", "v2", force=True)
    assert done.forced and done.previous == "v1" and done.production.stage == "production"
    assert done.production.promotion is not None and done.production.promotion["forced"] is True
    assert done.production.metrics == {
        "accuracy": 1.0,
        "evaluations": {HELD_OUT: {"accuracy": 0.6}},
    }  # the lifecycle notes are not metrics
    assert done.production.gate == {
        "metric": "accuracy",
        "data": HELD_OUT,
        "candidate": 0.6,
        "production": 0.8,
        "production_version": "v1",
    }


async def test_a_better_candidate_passes_and_rollback_walks_back(
    registry: ModelRegistry,
) -> None:
    await registry.register("toy", "v1", "/m/toy/v1", {}, "h", stage="production")
    await registry.record_evaluation("toy", "v1", HELD_OUT, {"accuracy": 0.5})
    await _candidate(registry, "v2", 0.7)
    done = await promote_model(registry, "toy", "v2")
    assert done.gate is not None and done.gate.allowed and not done.forced
    await registry.record_evaluation("toy", "v2", "/other.json", {"accuracy": 0.7})
    await registry.register("toy", "v3", "/m/toy/v3", {}, "h")
    await registry.record_evaluation("toy", "v3", "/other.json", {"accuracy": 0.9})
    assert (await promote_model(registry, "toy", "v3")).previous == "v2"  # gated on /other

    back = await rollback_model(registry, "toy")
    assert (back.production.version, back.previous) == ("v2", "v3")
    back = await rollback_model(registry, "toy")
    assert (back.production.version, back.previous) == ("v1", "v2")
    stages = {m.version: m.stage for m in await registry.list("toy")}
    assert stages == {"v1": "production", "v2": "archived", "v3": "archived"}
    with pytest.raises(RegistryError, match="v1 replaced no earlier version"):
        await rollback_model(registry, "toy")
    with pytest.raises(RegistryError, match="no production version to roll back"):
        await rollback_model(registry, "other")


async def test_a_gate_against_a_former_production_needs_a_new_comparison(
    registry: ModelRegistry,
) -> None:
    await registry.register("toy", "v1", "/m/toy/v1", {}, "h", stage="production")
    await registry.record_evaluation("toy", "v1", HELD_OUT, {"accuracy": 0.5})
    await _candidate(registry, "v2", 0.6)  # compared with v1
    await registry.register("toy", "v3", "/m/toy/v3", {}, "h")
    await promote_model(registry, "toy", "v3")  # nothing compared: no evidence against it
    with pytest.raises(PromotionRefused, match="production is now v3, which was not evaluated"):
        await promote_model(registry, "toy", "v2")
    await registry.record_evaluation("toy", "v3", HELD_OUT, {"accuracy": 0.55})
    assert (await promote_model(registry, "toy", "v2")).previous == "v3"
    with pytest.raises(RegistryError, match="no version v9"):
        await promote_model(registry, "toy", "v9")


async def test_the_primary_metric_gates_versions_evaluated_by_chorus_test(
    registry: ModelRegistry,
) -> None:
    await registry.register("toy", "v1", "/m/toy/v1", {}, "h", stage="production")
    await registry.register("toy", "v2", "/m/toy/v2", {}, "h")
    for version, value in (("v1", 0.9), ("v2", 0.4)):
        await registry.record_evaluation("toy", version, "/eval.json", {"f1": value})
    candidate, production = await registry.get("toy", "v2"), await registry.production("toy")
    assert candidate is not None
    assert check(candidate, production).allowed  # no metric named: not compared
    refused = check(candidate, production, primary_metric="f1")
    assert not refused.allowed and refused.data == "/eval.json"
    with pytest.raises(PromotionRefused):
        await promote_model(registry, "toy", "v2", primary_metric="f1")
