"""Tests of the features subgraph: SDL, queries, entity references."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from apps.fraud.features.app import create_app


def _query(client: TestClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def test_features_sdl_declares_the_entity_key() -> None:
    with TestClient(create_app()) as client:
        sdl = _query(client, "{ _service { sdl } }")["_service"]["sdl"]
        assert client.get("/ready").status_code == 200
    assert 'type FeaturesItem @key(fields: "id")' in sdl


def test_features_lists_and_finds_items() -> None:
    with TestClient(create_app()) as client:
        listed = _query(client, "{ featuresItems { id name } }")
        items = listed["featuresItems"]
        assert len(items) >= 1
        first = items[0]
        found = _query(
            client,
            "query($id: ID!) { featuresItem(id: $id) { id name } }",
            {"id": first["id"]},
        )
        assert found["featuresItem"] == first
        missing = _query(client, '{ featuresItem(id: "no-such-id") { id } }')
        assert missing["featuresItem"] is None


def test_features_resolves_entity_references() -> None:
    with TestClient(create_app()) as client:
        items = _query(client, "{ featuresItems { id name } }")
        first = items["featuresItems"][0]
        data = _query(
            client,
            """query($r: [_Any!]!) {
              _entities(representations: $r) { ... on FeaturesItem { id name } }
            }""",
            {"r": [{"__typename": "FeaturesItem", "id": first["id"]}]},
        )
    assert data["_entities"] == [first]
