"""The fraud application's REST API as the repository's router.yaml configures it, over HTTP
against the four subgraphs and a router on real servers: the OpenAPI document (checked by
openapi-spec-validator, and the answers checked against it), the whole chain behind
POST /v1/transactions, bad input, conflicts, a subgraph down, alerts and verdicts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi

from chorus.config import load_config
from chorus.schemas import stack_sources
from chorus.selection import select_subgraphs
from router.compose import compose
from router.server.app import create_router_app
from router.settings import load_router_settings
from tests.helpers.fraud import tx_input
from tests.helpers.fraud_stack import ROOT, FraudStack, fraud_stack

T0 = datetime(2025, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[FraudStack]:
    # production mode (no --dev): subgraph messages are redacted, statuses and codes are not
    async with fraud_stack(tmp_path, load_router_settings(ROOT / "router.yaml")) as stack:
        yield stack


@pytest.fixture
async def client(stack: FraudStack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=stack.base, timeout=30) as client:
        yield client


def _validator(doc: dict[str, Any], path: str, method: str, status: int) -> Any:
    content = doc["paths"][path][method]["responses"][str(status)]["content"]
    (media,) = content.values()
    return jsonschema.Draft202012Validator({**media["schema"], "components": doc["components"]})


async def test_submit_alert_and_resolve_by_rest(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    validate_openapi(doc)
    assert set(doc["paths"]) == {
        "/v1/transactions",
        "/v1/transactions/{id}",
        "/v1/alerts",
        "/v1/alerts/{id}/resolve",
    }
    tx_schema = doc["components"]["schemas"]["TransactionInput"]
    assert "clientKey" in tx_schema["required"] and "timestamp" not in tx_schema["required"]
    submitted = []
    for i in range(3):  # the third payment within a minute raises an alert
        body = tx_input(
            f"rest-{i}",
            merchantCategory="electronics",
            merchant=f"m{i}",
            timestamp=(T0 + timedelta(seconds=10 * i)).isoformat(),
        )
        response = await client.post("/v1/transactions", json=body)
        assert response.status_code == 201, response.text
        _validator(doc, "/v1/transactions", "post", 201).validate(response.json())
        submitted.append(response.json())
    last = submitted[-1]
    assert last["features"]["countLastMinute"] == 2
    assert last["risk"]["model"] == {"name": "anomaly", "version": "1"}
    assert last["risk"]["reasons"] == ["countLastMinute"]
    assert [s["alert"] is not None for s in submitted] == [False, False, True]

    again = await client.post(
        "/v1/transactions",
        json=tx_input(
            "rest-2",
            merchant="m2",
            merchantCategory="electronics",
            timestamp=(T0 + timedelta(seconds=20)).isoformat(),
        ),
    )
    assert again.status_code == 201 and again.json()["id"] == last["id"]  # idempotent

    fetched = await client.get(f"/v1/transactions/{last['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["alert"]["status"] == "OPEN"
    _validator(doc, "/v1/transactions/{id}", "get", 200).validate(fetched.json())

    alerts = await client.get("/v1/alerts", params={"status": "OPEN"})
    assert alerts.status_code == 200
    _validator(doc, "/v1/alerts", "get", 200).validate(alerts.json())
    (alert,) = alerts.json()
    assert alert["id"] == last["alert"]["id"]
    assert alert["transaction"]["id"] == last["id"]

    resolved = await client.post(f"/v1/alerts/{alert['id']}/resolve", json={"fraud": True})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "FRAUD"
    assert (await client.get("/v1/alerts", params={"status": "OPEN"})).json() == []
    unknown = await client.post("/v1/alerts/nope/resolve", json={"fraud": False})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (tx_input("b1", amount=-3.0, currency="XYZ"), 422, "BAD_USER_INPUT"),  # the service
        (tx_input("b2", amount="many"), 422, "BAD_USER_INPUT"),  # GraphQL's types
        ({"amount": 1.0}, 422, "BAD_USER_INPUT"),  # required fields missing
        ({**tx_input("b3"), "colour": "red"}, 422, "BAD_USER_INPUT"),  # not in the input type
        ([tx_input("b4")], 422, "BAD_USER_INPUT"),  # a list is not a TransactionInput
    ],
)
async def test_bad_transactions_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, stack: FraudStack, body: Any, status: int, code: str
) -> None:
    response = await client.post("/v1/transactions", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    listed = await stack.gql('{ cardTransactions(cardId: "card-1") { id } }')
    assert listed["data"]["cardTransactions"] == []


async def test_a_reused_key_with_other_content_is_409(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/transactions", json=tx_input("k"))).status_code == 201
    response = await client.post("/v1/transactions", json=tx_input("k", amount=99.0))
    assert response.status_code == 409
    assert response.json()["code"] == "IDEMPOTENCY_CONFLICT"


async def test_alerting_down_is_503_with_what_was_done(
    client: httpx.AsyncClient, stack: FraudStack
) -> None:
    await stack.stop_subgraph("alerting")
    response = await client.post("/v1/transactions", json=tx_input("down-1"))
    assert response.status_code == 503
    problem = response.json()
    assert problem["code"] == "SUBGRAPH_FETCH_FAILED"
    assert problem["errors"][0]["path"] == ["submitTransaction", "alert"]
    # the transaction was stored and scored: a retry with the same key is safe
    assert problem["data"]["risk"]["model"]["version"] == "1"
    assert problem["data"]["alert"] is None
    assert (await client.get("/v1/alerts")).status_code == 503


async def test_under_chorus_dev_concierge_the_fraud_endpoints_are_off_and_the_router_serves(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The repository's chorus.yaml names router.yaml; a stack of the concierge alone (what
    `chorus dev concierge` composes) lacks the fraud types, so each fraud endpoint is disabled
    with a warning, and /graphql serves the concierge as usual."""
    config = load_config(ROOT / "chorus.yaml")
    assert config.router.config is not None
    settings = load_router_settings(config.base_dir / config.router.config)
    concierge = select_subgraphs(config, ["concierge"])
    result = compose(stack_sources(config, concierge))
    assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
    with caplog.at_level(logging.WARNING, logger="chorus.router.rest"):
        app = create_router_app(result.supergraph_sdl, settings=settings)
    warned = [r.getMessage() for r in caplog.records]
    for endpoint in settings.rest.endpoints:
        where = f"rest endpoint {endpoint.method} {endpoint.path} is disabled"
        assert any(where in w for w in warned), (where, warned)
    assert any("Unknown type 'TransactionInput'" in w for w in warned), warned
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://r") as client:
        typename = await client.post("/graphql", json={"query": "{ __typename }"})
        assert typename.json() == {"data": {"__typename": "Query"}}
        assert "say(" in result.supergraph_sdl
        response = await client.post("/v1/transactions", json=tx_input("off"))
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
        assert "POST /v1/transactions is disabled" in response.json()["detail"]
        assert (await client.get("/v1/alerts")).status_code == 404
        doc = (await client.get("/openapi.json")).json()
        validate_openapi(doc)
        assert doc["paths"] == {}
