"""The anomaly subgraph: risk from the registry's production model, batched across the
representations of one call, stored once per transaction, clear errors without features."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apps.fraud.anomaly.app import create_app
from tests.helpers.fraud import (
    features_value,
    gql,
    migrated,
    register_anomaly,
    serving,
    velocity_model,
)

RISK = """
query($r: [_Any!]!) { _entities(representations: $r) { ... on Transaction {
  risk { score reasons model { name version } } } } }
"""


def rep(i: int, features: dict[str, Any] | None) -> dict[str, Any]:
    return {"__typename": "Transaction", "id": f"t{i}", "features": features}


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    url = migrated(tmp_path, "anomaly")
    await register_anomaly(url, "1", velocity_model(tmp_path / "v1"))
    app = create_app(url)
    async with serving(app) as client:
        yield client, app


async def test_risk_comes_from_the_production_model_with_its_reasons(
    served: tuple[httpx.AsyncClient, Any], tmp_path: Path
) -> None:
    client, _app = served
    body = await gql(client, RISK, r=[rep(0, features_value(0)), rep(1, features_value(3))])
    assert "errors" not in body, body
    calm, burst = (e["risk"] for e in body["data"]["_entities"])
    assert calm["score"] == pytest.approx(1 / (1 + math.exp(4)), rel=1e-4)
    burst_logit = 3.0 * math.log1p(3) - 4.0
    assert burst["score"] == pytest.approx(1 / (1 + math.exp(-burst_logit)), rel=1e-4)
    assert calm["reasons"] == [] and burst["reasons"] == ["countLastMinute"]
    assert burst["model"] == {"name": "anomaly", "version": "1"}
    with sqlite3.connect(tmp_path / "chorus.db") as db:
        rows = db.execute("SELECT transaction_id, model_version FROM fraud_risks ORDER BY 1")
        assert rows.fetchall() == [("t0", "1"), ("t1", "1")]


async def test_a_risk_once_given_is_stored_and_returned_again(
    served: tuple[httpx.AsyncClient, Any],
) -> None:
    client, _app = served
    first = await gql(client, RISK, r=[rep(0, features_value(5))])
    again = await gql(client, RISK, r=[rep(0, features_value(0))])  # other features now
    assert again["data"] == first["data"]


async def test_the_representations_of_one_call_share_one_forward_pass(
    served: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = served
    sizes: list[int] = []
    batcher = app.state.models["anomaly"].batcher
    kit_hook = batcher.on_batch

    def record(stats: Any) -> None:
        sizes.append(stats.size)
        kit_hook(stats)

    batcher.on_batch = record
    reps = [rep(i, features_value(i % 4)) for i in range(300)]
    body = await gql(client, RISK, r=reps)
    assert "errors" not in body
    assert sizes == [300]


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (None, "transaction 't0' has no features to score"),
        ({"amountEur": 3.0}, "transaction 't0': incomplete features"),
    ],
)
async def test_missing_features_get_a_clear_error(
    served: tuple[httpx.AsyncClient, Any], features: dict[str, Any] | None, message: str
) -> None:
    client, _app = served
    body = await gql(client, RISK, r=[rep(0, features)])
    (error,) = body["errors"]
    assert message in error["message"]
    assert error["path"][:2] == ["_entities", 0]


async def test_without_a_trained_model_ready_says_how_to_get_one(tmp_path: Path) -> None:
    app = create_app(migrated(tmp_path, "anomaly"))
    async with app.router.lifespan_context(app):
        await app.state.readiness.wait()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
            response = await client.get("/ready")
    assert response.status_code == 503
    assert "chorus train anomaly" in response.json()["error"]
