"""The features subgraph: features from the card's history, computed once and stored, a batch
replayed in time order, clear errors for bad representations."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from apps.fraud.features.app import create_app
from apps.fraud.features.compute import CardEvent, features_in_order
from tests.helpers.fraud import gql, migrated, serving

FEATURES = """
query($r: [_Any!]!) { _entities(representations: $r) { ... on Transaction { features {
  amountEur amountZScore amountToMeanRatio cardHistoryCount countLastMinute countLastHour
  firstAtMerchant firstInCountry secondsSincePrevious } } } }
"""
T0 = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


def rep(i: int, seconds: float, amount: float = 20.0, **extra: Any) -> dict[str, Any]:
    return {
        "__typename": "Transaction",
        "id": f"t{i}",
        "amount": amount,
        "currency": "EUR",
        "merchant": "grocer",
        "country": "DE",
        "cardId": "c1",
        "timestamp": (T0 + timedelta(seconds=seconds)).isoformat(),
        **extra,
    }


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(migrated(tmp_path, "features"))) as c:
        yield c


async def features_of(client: httpx.AsyncClient, *reps: dict[str, Any]) -> list[dict[str, Any]]:
    body = await gql(client, FEATURES, r=list(reps))
    assert "errors" not in body, body
    return [e["features"] for e in body["data"]["_entities"]]


def test_history_statistics() -> None:
    def event(i: int, seconds: float, amount: float, merchant: str = "m", country: str = "DE"):  # type: ignore[no-untyped-def]
        return CardEvent(f"t{i}", "c", T0 + timedelta(seconds=seconds), amount, merchant, country)

    events = [event(i, i * 600, a) for i, a in enumerate([10.0, 20.0, 30.0])]
    events += [event(3, 1830, 200.0, "shop", "FR"), event(4, 1850, 20.0, "shop", "FR")]
    out = features_in_order(list(reversed(events)))  # any input order
    first, last_normal, big, quick = out["t0"], out["t2"], out["t3"], out["t4"]
    assert first.card_history_count == 0 and first.amount_z_score == 0.0
    assert first.first_at_merchant and first.seconds_since_previous is None
    assert last_normal.amount_to_mean_ratio == pytest.approx(30.0 / 15.0)
    assert last_normal.amount_z_score == pytest.approx((30.0 - 15.0) / 5.0)  # spread floor 5
    spread = ((10**2 + 20**2 + 30**2) / 3 - 20**2) ** 0.5  # 8.16, above the floor
    assert big.amount_z_score == pytest.approx((200.0 - 20.0) / spread)
    assert big.first_in_country and big.first_at_merchant and big.count_last_hour == 3
    assert quick.count_last_minute == 1 and quick.seconds_since_previous == 20.0
    assert not quick.first_in_country and not quick.first_at_merchant


async def test_features_come_from_the_cards_history_and_are_stored(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    # the batch holds a card's history out of order: it is replayed by time
    found = await features_of(client, rep(2, 30, 400.0, country="US"), rep(0, 0), rep(1, 10))
    late, first, second = found
    assert first["cardHistoryCount"] == 0 and first["firstAtMerchant"]
    assert second["countLastMinute"] == 1 and second["secondsSincePrevious"] == 10.0
    assert late["cardHistoryCount"] == 2 and late["firstInCountry"] and late["amountZScore"] > 50
    with sqlite3.connect(tmp_path / "chorus.db") as db:
        assert db.execute("SELECT count(*) FROM fraud_features").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM fraud_card_events").fetchone() == (3,)
    # asked again (even with other values), the stored features come back unchanged
    (again,) = await features_of(client, rep(2, 30, 1.0, country="DE"))
    assert again == late
    # a later transaction sees the stored history
    (later,) = await features_of(client, rep(3, 3600 * 2))
    assert later["cardHistoryCount"] == 3 and later["countLastHour"] == 0


async def test_amounts_in_other_currencies_are_compared_in_euros(
    client: httpx.AsyncClient,
) -> None:
    (usd,) = await features_of(client, rep(0, 0, 100.0, currency="USD"))
    assert usd["amountEur"] == pytest.approx(92.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cardId": None}, "a Transaction representation needs cardId"),
        ({"timestamp": "noon"}, "a Transaction representation has a bad value"),
        ({"currency": "XXX"}, "unknown currency 'XXX'"),
    ],
)
async def test_bad_representations_get_a_clear_error(
    client: httpx.AsyncClient, change: dict[str, Any], message: str
) -> None:
    body = await gql(client, FEATURES, r=[rep(0, 0, **change)])
    (error,) = body["errors"]
    assert message in error["message"]
    assert error["path"][:2] == ["_entities", 0]
