"""The coprocessor plugin against a tiny Python HTTP coprocessor (Apollo's JSON protocol)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.helpers.hardening_harness import codes
from tests.helpers.hardening_server import SubgraphServer
from tests.helpers.plugin_harness import Coprocessor, MakeConfiguredRouter

BOTH = "{ products { id name reviewCount } }"


@pytest.fixture
def coprocessor() -> Iterator[Coprocessor]:
    with Coprocessor() as c:
        yield c


def _config(url: str) -> dict[str, object]:
    return {
        "traffic": {"headers": {"all": [{"propagate": {"named": "x-tenant"}}]}},
        "plugins": [
            {
                "module": "router.plugins.coprocessor",
                "config": {
                    "url": url,
                    "router": {"request": {"headers": True, "body": True, "method": True}},
                    "subgraph": {
                        "all": {"request": {"headers": True, "body": True, "service_name": True}}
                    },
                },
            }
        ],
    }


async def test_the_coprocessor_breaks_a_request_with_403(
    configured_router: MakeConfiguredRouter, coprocessor: Coprocessor, shop: SubgraphServer
) -> None:
    router = await configured_router(_config(coprocessor.url))
    resp = await router.post(BOTH, headers={"x-block": "yes"})
    assert resp.status_code == 403
    assert codes(resp.json()) == ["BLOCKED"]
    assert resp.json()["errors"][0]["message"] == "blocked by policy"
    assert resp.headers["x-blocked-by"] == "coprocessor"
    assert coprocessor.stages() == ["RouterRequest"]
    assert not shop.requests["products"]
    call = coprocessor.calls[0]
    assert call["version"] == 1 and call["control"] == "continue" and call["method"] == "POST"
    assert json.loads(call["body"])["query"] == BOTH  # the request body, as JSON text


async def test_the_coprocessor_rewrites_a_subgraph_header(
    configured_router: MakeConfiguredRouter, coprocessor: Coprocessor, shop: SubgraphServer
) -> None:
    router = await configured_router(_config(coprocessor.url))
    resp = await router.post(BOTH, headers={"x-tenant": "t1"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["products"][0]["reviewCount"] is not None
    calls = [*shop.requests["products"], *shop.requests["reviews"]]
    sent = [r.headers.get("x-tenant") for r in calls]
    assert sent == ["rewritten-t1", "rewritten-t1"]
    subgraph_calls = [c for c in coprocessor.calls if c["stage"] == "SubgraphRequest"]
    assert sorted(c["serviceName"] for c in subgraph_calls) == ["products", "reviews"]
    assert all(c["headers"]["x-tenant"] == ["t1"] for c in subgraph_calls)
    assert all("query" in c["body"] for c in subgraph_calls)
    # one id per client request, the same at every stage
    assert len({c["id"] for c in coprocessor.calls}) == 1


async def test_an_unreachable_coprocessor_fails_the_request(
    configured_router: MakeConfiguredRouter, shop: SubgraphServer
) -> None:
    router = await configured_router(_config("http://127.0.0.1:9/"))
    resp = await router.post(BOTH)
    assert resp.status_code == 500
    assert resp.json()["errors"][0]["message"] == "coprocessor failed"
    assert not shop.requests["products"]


async def test_unconfigured_stages_are_not_hooked(
    configured_router: MakeConfiguredRouter, coprocessor: Coprocessor
) -> None:
    router = await configured_router(_config(coprocessor.url))
    chain = router.router.plugins
    assert chain.http_operations and chain.subgraph_request
    assert not chain.http_response and not chain.graphql_request and not chain.subgraph_response
