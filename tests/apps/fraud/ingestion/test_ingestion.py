"""The ingestion subgraph: storing transactions, idempotency by client key, refusing bad input
with clear errors and nothing stored half-way, entity references."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apps.fraud.ingestion.app import create_app
from apps.fraud.ingestion.validation import MAX_BATCH
from tests.helpers.fraud import gql, migrated, serving, tx_input

FIELDS = "id clientKey amount currency merchant merchantCategory country cardId timestamp"
ONE = f"mutation($i: TransactionInput!) {{ submitTransaction(input: $i) {{ {FIELDS} }} }}"
MANY = f"mutation($i: [TransactionInput!]!) {{ submitTransactions(inputs: $i) {{ {FIELDS} }} }}"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(create_app(migrated(tmp_path, "ingestion"))) as c:
        yield c


def _rows(tmp_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(tmp_path / "chorus.db") as db:
        return db.execute(
            "SELECT client_key, amount, currency, card_id FROM fraud_transactions ORDER BY 1"
        ).fetchall()


async def test_a_transaction_is_stored_and_returned(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    body = await gql(client, ONE, i=tx_input("k1"))
    assert "errors" not in body, body
    tx = body["data"]["submitTransaction"]
    assert tx["amount"] == 42.5 and tx["currency"] == "EUR" and tx["cardId"] == "card-1"
    assert tx["timestamp"].startswith("2025-03-04T12:00:00")
    assert _rows(tmp_path) == [("k1", 42.5, "EUR", "card-1")]
    again = await gql(client, "query($id: ID!) { transaction(id: $id) { merchant } }", id=tx["id"])
    assert again["data"]["transaction"] == {"merchant": "Corner Grocer"}


async def test_resubmitting_a_client_key_returns_the_stored_transaction(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    first = (await gql(client, ONE, i=tx_input("k1")))["data"]["submitTransaction"]
    retry = (await gql(client, ONE, i=tx_input("k1")))["data"]["submitTransaction"]
    without_time = tx_input("k1")
    del without_time["timestamp"]
    later = (await gql(client, ONE, i=without_time))["data"]["submitTransaction"]
    assert first["id"] == retry["id"] == later["id"]
    batch = await gql(client, MANY, i=[tx_input("k1"), tx_input("k2"), tx_input("k2")])
    ids = [t["id"] for t in batch["data"]["submitTransactions"]]
    assert ids[0] == first["id"] and ids[1] == ids[2] != ids[0]
    assert [r[0] for r in _rows(tmp_path)] == ["k1", "k2"]


async def test_a_key_reused_for_another_transaction_is_refused(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    await gql(client, ONE, i=tx_input("k1"))
    body = await gql(client, MANY, i=[tx_input("k9"), tx_input("k1", amount=99.0)])
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "IDEMPOTENCY_CONFLICT"
    assert "inputs[1].clientKey 'k1' was already used" in error["message"]
    assert error["path"] == ["submitTransactions"]
    assert [r[0] for r in _rows(tmp_path)] == ["k1"]  # k9 was not stored either


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": -5.0}, "input.amount", "must be positive (got -5)"),
        ({"amount": 0.0}, "input.amount", "must be positive"),
        ({"currency": "XYZ"}, "input.currency", "unknown currency 'XYZ'"),
        ({"currency": "eur"}, "input.currency", "unknown currency 'eur'"),
        ({"country": "Germany"}, "input.country", "not an ISO 3166 alpha-2 code"),
        ({"merchantCategory": "Big Box"}, "input.merchantCategory", "not lower_snake_case"),
        ({"clientKey": " "}, "input.clientKey", "must not be empty"),
        ({"cardId": "c" * 201}, "input.cardId", "longer than 200"),
        ({"timestamp": "2999-01-01T00:00:00Z"}, "input.timestamp", "in the future"),
    ],
)
async def test_invalid_values_get_a_clear_error_and_nothing_is_stored(
    client: httpx.AsyncClient, tmp_path: Path, overrides: dict[str, Any], field: str, message: str
) -> None:
    body = await gql(client, ONE, i=tx_input("k1", **overrides))
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["path"] == ["submitTransaction"]
    assert message in error["message"] and field in error["message"]
    assert [p["field"] for p in error["extensions"]["invalid"]] == [field]
    assert _rows(tmp_path) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": "12 euros"}, "Float cannot represent non numeric value"),
        ({"amount": None}, "at .amount: Expected value of non-null type 'Float!'"),
        ({"timestamp": "yesterday"}, "timestamp"),
        ({"cardId": 7}, "String cannot represent a non string value"),
    ],
)
async def test_wrong_types_are_refused_before_the_resolver(
    client: httpx.AsyncClient, tmp_path: Path, overrides: dict[str, Any], message: str
) -> None:
    body = await gql(client, ONE, i=tx_input("k1", **overrides))
    assert body.get("data") is None
    assert message in body["errors"][0]["message"], body
    assert _rows(tmp_path) == []


async def test_one_bad_item_refuses_the_whole_batch_and_every_problem_is_listed(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    inputs = [tx_input(f"k{i}") for i in range(10)]
    inputs[3]["amount"] = -1.0
    inputs[7]["currency"] = "ABC"
    inputs[7]["country"] = "d"
    body = await gql(client, MANY, i=inputs)
    (error,) = body["errors"]
    assert "nothing was stored" in error["message"]
    assert [p["field"] for p in error["extensions"]["invalid"]] == [
        "inputs[3].amount",
        "inputs[7].currency",
        "inputs[7].country",
    ]
    assert _rows(tmp_path) == []


async def test_a_batch_over_the_limit_is_refused(client: httpx.AsyncClient, tmp_path: Path) -> None:
    inputs = [tx_input(f"k{i}") for i in range(MAX_BATCH + 1)]
    body = await gql(
        client,
        "mutation($i: [TransactionInput!]!) { submitTransactions(inputs: $i) { id } }",
        i=inputs,
    )
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BATCH_TOO_LARGE"
    assert "at most 10,000 transactions (got 10,001)" in error["message"]
    assert _rows(tmp_path) == []


async def test_a_full_batch_is_stored_in_order(client: httpx.AsyncClient, tmp_path: Path) -> None:
    inputs = [tx_input(f"k{i:05d}", amount=float(i + 1)) for i in range(MAX_BATCH)]
    body = await gql(
        client,
        "mutation($i: [TransactionInput!]!) { submitTransactions(inputs: $i) { amount } }",
        i=inputs,
    )
    assert "errors" not in body
    assert [t["amount"] for t in body["data"]["submitTransactions"]][:3] == [1.0, 2.0, 3.0]
    assert len(_rows(tmp_path)) == MAX_BATCH


async def test_entity_references_resolve_in_one_batch(client: httpx.AsyncClient) -> None:
    stored = await gql(client, MANY, i=[tx_input("a", cardId="c1"), tx_input("b", cardId="c2")])
    ids = [t["id"] for t in stored["data"]["submitTransactions"]]
    body = await gql(
        client,
        "query($r: [_Any!]!) { _entities(representations: $r) { ... on Transaction { cardId } } }",
        r=[{"__typename": "Transaction", "id": i} for i in [*reversed(ids), "nope"]],
    )
    assert body["data"]["_entities"][:2] == [{"cardId": "c2"}, {"cardId": "c1"}]
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert "no transaction 'nope'" in body["errors"][0]["message"]
