"""The `/graphql` endpoint as the router app serves it: the direct path and Starlette's agree."""

from __future__ import annotations

import httpx
import pytest

from router.request.pipeline import Router
from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers.supergraph_fixture import load_fixture

QUERY = {"query": "{ __typename }"}


def _client(settings: RouterSettings | None = None) -> httpx.AsyncClient:
    app = create_router_app(load_fixture("products.graphql"), settings=settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://r")


async def test_an_unexpected_failure_is_a_json_500_not_a_dropped_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(self: Router, *args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Router, "_execute", broken)  # the stage under its wrappers
    async with _client() as client:
        r = await client.post("/graphql", json=QUERY)
    assert r.status_code == 500
    assert r.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "boom" not in r.text  # the cause is logged, not sent


async def test_cors_requests_take_starlette_and_answer_the_same() -> None:
    settings = RouterSettings.model_validate(
        {"security": {"cors": {"origins": ["https://app.example"]}}}
    )
    async with _client(settings) as client:
        direct = await client.post("/graphql", json=QUERY)
        cors = await client.post("/graphql", json=QUERY, headers={"origin": "https://app.example"})
    assert direct.json() == cors.json() == {"data": {"__typename": "Query"}}
    assert "access-control-allow-origin" not in direct.headers
    assert cors.headers["access-control-allow-origin"] == "https://app.example"


async def test_other_methods_get_starlettes_405() -> None:
    async with _client() as client:
        r = await client.put("/graphql", json=QUERY)
    assert r.status_code == 405
    assert set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
