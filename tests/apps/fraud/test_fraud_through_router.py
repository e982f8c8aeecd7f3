"""The fraud application through a real router: the four subgraphs on real servers, composed
into one supergraph with the concierge's subgraphs. One mutation runs ingestion → features →
anomaly → alerting (the query plan says so), and raised alerts reach subscribers through the
router over graphql-transport-ws, joined with the transaction's fields from ingestion."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from router.compose import SubgraphSource
from router.settings import RouterSettings
from subgraphs.dialogue.schema import build_schema as dialogue_schema
from subgraphs.generation.schema import build_schema as generation_schema
from subgraphs.nlu.schema import build_schema as nlu_schema
from tests.helpers.fraud import tx_input
from tests.helpers.fraud_stack import FraudStack, fraud_stack

SUBMIT = """
mutation Submit($input: TransactionInput!) {
  submitTransaction(input: $input) {
    id amount cardId
    features { amountEur countLastMinute firstAtMerchant cardHistoryCount }
    risk { score reasons model { name version } }
    alert { id severity reasons }
  }
}
"""
RAISED = "subscription { alertRaised { id severity transaction { id amount merchant cardId } } }"
PROTO = [Subprotocol("graphql-transport-ws")]
T0 = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


def _sdl(schema: Any) -> str:
    return str(schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"])


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[FraudStack]:
    # the concierge's subgraphs compose into the same supergraph (not served here)
    concierge = [
        SubgraphSource(name, f"http://127.0.0.1:1/{name}", _sdl(schema))
        for name, schema in (
            ("nlu", nlu_schema()),
            ("dialogue", dialogue_schema()),
            ("generation", generation_schema()),
        )
    ]
    settings = RouterSettings(dev=True)
    async with fraud_stack(tmp_path, settings, extra_sources=concierge) as stack:
        yield stack


def _services(node: dict[str, Any]) -> list[str]:
    if node["kind"] == "Sequence":
        return [s for child in node["nodes"] for s in _services(child)]
    if node["kind"] == "Flatten":
        return _services(node["node"])
    assert node["kind"] == "Fetch", node
    return [node["serviceName"]]


async def test_one_mutation_runs_the_whole_chain_in_plan_order(stack: FraudStack) -> None:
    body = await stack.gql(
        SUBMIT, headers={"Chorus-Expose-Query-Plan": "true"}, input=tx_input("k1")
    )
    assert "errors" not in body, body
    tx = body["data"]["submitTransaction"]
    assert tx["amount"] == 42.5 and tx["cardId"] == "card-1"
    assert tx["features"] == {
        "amountEur": 42.5,
        "countLastMinute": 0,
        "firstAtMerchant": True,
        "cardHistoryCount": 0,
    }
    assert 0.0 < tx["risk"]["score"] < 0.1
    assert tx["risk"]["model"] == {"name": "anomaly", "version": "1"}
    assert tx["alert"] is None
    plan = body["extensions"]["queryPlan"]["node"]
    assert _services(plan) == ["ingestion", "features", "anomaly", "alerting"]


async def test_a_card_testing_burst_raises_an_alert_seen_by_a_subscriber(stack: FraudStack) -> None:
    async with connect(stack.ws, subprotocols=PROTO) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
        await ws.send(json.dumps({"id": "a", "type": "subscribe", "payload": {"query": RAISED}}))
        await asyncio.sleep(0.3)  # the router's subscription to alerting is open
        results = []
        for i in range(4):  # four payments within a minute: velocity pushes the score up
            moment = (T0 + timedelta(seconds=5 * i)).isoformat()
            input_ = tx_input(
                f"burst-{i}",
                amount=1.5,
                timestamp=moment,
                merchant=f"m{i}",
                merchantCategory="electronics",
            )
            body = await stack.gql(SUBMIT, input=input_)
            assert "errors" not in body, body
            results.append(body["data"]["submitTransaction"])
        message = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert [r["features"]["countLastMinute"] for r in results] == [0, 1, 2, 3]
    # electronics alerts from a score of 0.3: the hand-set model reaches it at 2 in a minute
    assert [r["alert"] is not None for r in results] == [False, False, True, True]
    flagged = [r for r in results if r["alert"] is not None]
    assert flagged[0]["risk"]["reasons"] == ["countLastMinute"]
    assert message["type"] == "next", message
    event = message["payload"]["data"]["alertRaised"]
    assert event["id"] == flagged[0]["alert"]["id"]
    assert event["transaction"] == {
        "id": flagged[0]["id"],
        "amount": 1.5,
        "merchant": "m" + str(results.index(flagged[0])),
        "cardId": "card-1",
    }


async def test_the_supergraph_serves_both_pipelines(stack: FraudStack) -> None:
    for field in (
        "say(",
        "submitTransaction(",
        "submitTransactions(",
        "resolveAlert(",
        "alertRaised",
    ):
        assert field in stack.supergraph, field
    bad = await stack.gql(SUBMIT, input=tx_input("k2", amount=-3.0, currency="XYZ"))
    assert bad["data"] is None
    (error,) = bad["errors"]
    assert error["path"] == ["submitTransaction"]
    assert "input.amount: must be positive" in error["message"]
    assert "input.currency: unknown currency 'XYZ'" in error["message"]
