"""Tests of the alerting subgraph: SDL, queries, entity references."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from apps.fraud.alerting.app import create_app


def _query(client: TestClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_alerting_sdl_declares_the_entity_key() -> None:
    with TestClient(create_app()) as client:
        sdl = _query(client, "{ _service { sdl } }")["_service"]["sdl"]
        assert client.get("/ready").status_code == 200
    assert 'type AlertingItem @key(fields: "id")' in sdl


def test_alerting_lists_and_finds_items() -> None:
    with TestClient(create_app()) as client:
        listed = _query(client, "{ alertingItems { id name } }")
        items = listed["alertingItems"]
        assert len(items) >= 1
        first = items[0]
        found = _query(
            client,
            "query($id: ID!) { alertingItem(id: $id) { id name } }",
            {"id": first["id"]},
        )
        assert found["alertingItem"] == first
        missing = _query(client, '{ alertingItem(id: "no-such-id") { id } }')
        assert missing["alertingItem"] is None


def test_alerting_resolves_entity_references() -> None:
    with TestClient(create_app()) as client:
        items = _query(client, "{ alertingItems { id name } }")
        first = items["alertingItems"][0]
        data = _query(
            client,
            """query($r: [_Any!]!) {
              _entities(representations: $r) { ... on AlertingItem { id name } }
            }""",
            {"r": [{"__typename": "AlertingItem", "id": first["id"]}]},
        )
    assert data["_entities"] == [first]
