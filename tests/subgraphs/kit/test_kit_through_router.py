"""The example model subgraph behind the router: composed with another team's subgraph, the
entity field runs after the owner's fetch (`@requires`), and the admin mutation is refused
to callers without the `models:write` scope (here: no JWT configured at all)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry

from router.compose import SubgraphSource, compose
from router.server.app import create_router_app
from router.settings import RouterSettings
from subgraphs.kit import create_app
from tests.helpers import kit_sentiment as example
from tests.helpers.kit_models import register, registry_url, save_weights, serving

TEXTS = {"1": "lovely evening", "2": "awful evening", "3": "great food"}


@strawberry.federation.type(keys=["id"])
class Review:
    id: strawberry.ID
    text: str


@strawberry.type
class StoreQuery:
    @strawberry.field
    def reviews(self) -> list[Review]:
        return [Review(id=strawberry.ID(i), text=t) for i, t in TEXTS.items()]


def _sdl(schema: Any) -> str:
    return str(schema.execute_sync("{ _service { sdl } }").data["_service"]["sdl"])


@pytest.fixture
async def router(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[httpx.AsyncClient]:
    url = registry_url(tmp_path)
    monkeypatch.setenv("CHORUS_DATABASE_URL", url)
    await register(url, "1", save_weights(tmp_path / "v1"), "production")
    store = strawberry.federation.Schema(query=StoreQuery, types=[Review])
    result = compose(
        [
            SubgraphSource("store", "http://store/graphql", _sdl(store)),
            SubgraphSource("reviews", "http://reviews/graphql", _sdl(example.schema)),
        ]
    )
    assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
    assert '@requiresScopes(scopes: [["models:write"]])' in result.supergraph_sdl
    reviews = example.app()
    async with serving(reviews):
        subgraphs = httpx.AsyncClient(
            mounts={
                "http://store": httpx.ASGITransport(app=create_app(store, name="store")),
                "http://reviews": httpx.ASGITransport(app=reviews),
            }
        )
        app = create_router_app(
            result.supergraph_sdl, settings=RouterSettings(), http_client=subgraphs
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
            yield client
        await subgraphs.aclose()


async def _post(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_entity_field_with_requires_through_the_router(router: httpx.AsyncClient) -> None:
    body = await _post(router, "{ reviews { id text sentiment { label model { name version } } } }")
    assert "errors" not in body, body
    answers = {r["id"]: r for r in body["data"]["reviews"]}
    assert {i: r["sentiment"]["label"] for i, r in answers.items()} == {
        "1": "positive",
        "2": "negative",
        "3": "positive",
    }
    for review in answers.values():
        assert review["sentiment"]["model"] == {"name": "sentiment", "version": "1"}


async def test_admin_mutation_is_refused_without_the_scope(router: httpx.AsyncClient) -> None:
    body = await _post(router, 'mutation { reloadSentimentModel(version: "1") { version } }')
    assert body["data"] is None or body["data"]["reloadSentimentModel"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    assert error["path"] == ["reloadSentimentModel"]
    # ... while the public fields of the same subgraph answer
    body = await _post(router, '{ sentiment(text: "good") { model { version } } }')
    assert body["data"]["sentiment"]["model"]["version"] == "1"
