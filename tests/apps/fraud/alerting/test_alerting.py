"""The alerting subgraph: YAML rules (category thresholds, velocity), one alert per transaction,
the analyst's verdict, listing by status, live alerts, and clear errors for bad rules/input."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apps.fraud.alerting.app import create_app
from apps.fraud.alerting.rules import RulesError, Severity, load_rules
from apps.fraud.alerting.schema import build_schema
from tests.helpers.fraud import gql, migrated, serving

ALERT = """
query($r: [_Any!]!) { _entities(representations: $r) { ... on Transaction {
  alert { id severity score reasons status transaction { id } } } } }
"""


def rep(i: int, category: str, score: float, minute: int = 0, hour: int = 0) -> dict[str, Any]:
    return {
        "__typename": "Transaction",
        "id": f"t{i}",
        "merchantCategory": category,
        "risk": {"score": score},
        "features": {"countLastMinute": minute, "countLastHour": hour},
    }


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(migrated(tmp_path, "alerting"))
    async with serving(app) as client:
        yield client, app


async def alerts_of(client: httpx.AsyncClient, *reps: dict[str, Any]) -> list[Any]:
    body = await gql(client, ALERT, r=list(reps))
    assert "errors" not in body, body
    return [e["alert"] for e in body["data"]["_entities"]]


def test_shipped_rules_threshold_per_category_and_velocity() -> None:
    rules = load_rules()
    assert rules.decide("electronics", 0.35, 0, 0) is not None  # 0.3 bar
    assert rules.decide("grocery", 0.35, 0, 0) is None  # 0.7 bar
    assert rules.decide("florist", 0.55, 0, 0) is not None  # the default, 0.5
    velocity = rules.decide("grocery", 0.01, 6, 6)
    assert velocity is not None and velocity.severity is Severity.HIGH
    assert velocity.reasons == ["6 payments in the last minute (> 5)"]
    medium = rules.decide("electronics", 0.7, 0, 0)
    assert medium is not None and medium.severity is Severity.MEDIUM


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "score: {default: 0.5}\nvelocity: {per_minute: 5, per_hour: 9}\n",
            "severity: Field required",
        ),
        (
            "score: {default: 1.5}\nvelocity: {per_minute: 5, per_hour: 9}\n"
            "severity: {high: 0.9, medium: 0.6}\n",
            "score.default: Input should be less than or equal to 1",
        ),
        (
            "score: {default: 0.5, categories: {toys: 2}}\nvelocity: {per_minute: 5, per_hour: 9}\n"
            "severity: {high: 0.9, medium: 0.6}\n",
            "category thresholds must be between 0 and 1: {'toys': 2.0}",
        ),
        (
            "score: {default: 0.5}\nvelocity: {per_minut: 5, per_hour: 9}\n"
            "severity: {high: 0.9, medium: 0.6}\n",
            "velocity.per_minut: Extra inputs are not permitted",
        ),
        ("score: [", "alert rules"),
    ],
)
def test_bad_rules_are_refused_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(RulesError) as info:
        create_app(rules=path)
    assert message in str(info.value) and str(path) in str(info.value)


async def test_an_alert_is_raised_once_per_transaction_and_stored(
    served: tuple[httpx.AsyncClient, Any], tmp_path: Path
) -> None:
    client, _app = served
    quiet, risky, fast = await alerts_of(
        client, rep(0, "grocery", 0.2), rep(1, "electronics", 0.95), rep(2, "grocery", 0.1, 7, 9)
    )
    assert quiet is None
    assert risky["severity"] == "HIGH" and risky["status"] == "OPEN"
    assert risky["reasons"] == ["risk score 0.95 >= 0.30 for electronics"]
    assert risky["transaction"] == {"id": "t1"}
    assert fast["severity"] == "HIGH" and "7 payments in the last minute" in fast["reasons"][0]
    (again,) = await alerts_of(client, rep(1, "electronics", 0.31))
    assert again == risky  # the stored alert, not a second one
    with sqlite3.connect(tmp_path / "chorus.db") as db:
        rows = db.execute("SELECT transaction_id FROM fraud_alerts ORDER BY 1").fetchall()
    assert rows == [("t1",), ("t2",)]


async def test_resolving_an_alert_keeps_the_label_and_filters_by_status(
    served: tuple[httpx.AsyncClient, Any], tmp_path: Path
) -> None:
    client, _app = served
    first, second = await alerts_of(client, rep(0, "travel", 0.9), rep(1, "travel", 0.8))
    resolve = """
    mutation($id: ID!, $f: Boolean!) { resolveAlert(id: $id, fraud: $f) { status resolvedAt } }
    """
    done = await gql(client, resolve, id=first["id"], f=True)
    assert done["data"]["resolveAlert"]["status"] == "FRAUD"
    assert done["data"]["resolveAlert"]["resolvedAt"]
    listed = "query($s: AlertStatus) { alerts(status: $s) { id status } }"
    assert (await gql(client, listed, s="OPEN"))["data"]["alerts"] == [
        {"id": second["id"], "status": "OPEN"}
    ]
    assert len((await gql(client, listed, s=None))["data"]["alerts"]) == 2
    await gql(client, resolve, id=second["id"], f=False)
    with sqlite3.connect(tmp_path / "chorus.db") as db:
        labels = db.execute("SELECT transaction_id, status FROM fraud_alerts ORDER BY 1").fetchall()
    assert labels == [("t0", "fraud"), ("t1", "legitimate")]
    missing = await gql(client, resolve, id="nope", f=True)
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert missing["errors"][0]["path"] == ["resolveAlert"]


async def test_bad_input_gets_clear_errors(served: tuple[httpx.AsyncClient, Any]) -> None:
    client, _app = served
    body = await gql(client, ALERT, r=[{"__typename": "Transaction", "id": "t0", "risk": None}])
    assert "no risk score or features to decide on" in body["errors"][0]["message"]
    assert body["errors"][0]["path"][:2] == ["_entities", 0]
    body = await gql(client, ALERT, r=[{**rep(0, "grocery", 0.1), "risk": {"scor": 1}}])
    assert "a Transaction representation is incomplete" in body["errors"][0]["message"]
    body = await gql(client, "{ alerts(limit: 0) { id } }")
    assert "limit must be between 1 and 1000" in body["errors"][0]["message"]


async def test_alert_raised_streams_new_alerts_from_the_given_severity(
    served: tuple[httpx.AsyncClient, Any],
) -> None:
    client, app = served
    schema = build_schema()
    stream = await schema.subscribe(
        "subscription { alertRaised(minSeverity: MEDIUM) { severity transaction { id } } }",
        context_value={"store": app.state.alerts},
    )
    first = asyncio.ensure_future(stream.__anext__())
    for _ in range(500):  # until the generator subscribed
        if app.state.alerts.raised.subscribers:
            break
        await asyncio.sleep(0.01)
    await alerts_of(client, rep(0, "electronics", 0.35), rep(1, "electronics", 0.7))
    result = await asyncio.wait_for(first, 5)
    assert result.errors is None, result.errors
    assert result.data == {"alertRaised": {"severity": "MEDIUM", "transaction": {"id": "t1"}}}
    await stream.aclose()
