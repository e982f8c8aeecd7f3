"""End-to-end: the router app over in-process strawberry subgraphs (ASGI transport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers import pipeline_subgraphs as subgraphs
from tests.helpers.supergraph_fixture import load_fixture

SUPERGRAPH = load_fixture("pipeline.graphql")

Log = list[tuple[str, str]]


async def _client(log: Log, broken: set[str] | None = None) -> tuple[httpx.AsyncClient, Any]:
    subgraph_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=subgraphs.subgraphs_app(log, broken)),
        base_url="http://subgraphs",
    )
    app = create_router_app(
        SUPERGRAPH, settings=RouterSettings(dev=True), http_client=subgraph_http
    )
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router")
    return client, subgraph_http


@pytest.fixture
async def router() -> AsyncIterator[tuple[httpx.AsyncClient, Log]]:
    subgraphs.reset()
    log: Log = []
    client, sub = await _client(log)
    yield client, log
    await client.aclose()
    await sub.aclose()


async def _post(client: httpx.AsyncClient, query: str, **extra: Any) -> dict[str, Any]:
    resp = await client.post("/graphql", json={"query": query, **extra})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


CHAIN = "{ understanding { intent confidence } action reply }"


async def test_requires_chain_in_query(router: tuple[httpx.AsyncClient, Log]) -> None:
    client, log = router
    body = await _post(client, '{ turn(id: "t1") { id text ' + CHAIN[1:] + " }")
    assert "errors" not in body, body
    assert body["data"]["turn"] == {
        "id": "t1",
        "text": "book a table for two",
        "understanding": {"intent": "book", "confidence": 0.9},
        "action": "act_book",
        "reply": "reply to act_book",
    }
    # dialogue (root) -> nlu (understanding) -> dialogue (action) -> generation (reply)
    assert [name for name, _ in log] == ["dialogue", "nlu", "dialogue", "generation"]


async def test_requires_chain_in_mutation(router: tuple[httpx.AsyncClient, Log]) -> None:
    client, log = router
    body = await _post(client, 'mutation { say(text: "book it") ' + CHAIN + " }")
    assert "errors" not in body, body
    assert body["data"]["say"] == {
        "understanding": {"intent": "book", "confidence": 0.9},
        "action": "act_book",
        "reply": "reply to act_book",
    }
    assert [name for name, _ in log] == ["dialogue", "nlu", "dialogue", "generation"]
    assert log[0][1].startswith("mutation")


async def test_only_the_last_link_still_runs_the_whole_chain(
    router: tuple[httpx.AsyncClient, Log],
) -> None:
    client, log = router
    body = await _post(client, '{ turn(id: "t1") { reply } }')
    assert body == {"data": {"turn": {"reply": "reply to act_book"}}}
    assert [name for name, _ in log] == ["dialogue", "nlu", "dialogue", "generation"]


async def test_query_plan_is_exposed_in_dev_mode(router: tuple[httpx.AsyncClient, Log]) -> None:
    client, _ = router
    resp = await client.post(
        "/graphql",
        json={"query": '{ turn(id: "t1") { reply } }'},
        headers={"Chorus-Expose-Query-Plan": "true"},
    )
    plan = resp.json()["extensions"]["queryPlan"]
    assert plan["kind"] == "QueryPlan"
    assert plan["node"]["kind"] == "Sequence"
    services = [n.get("serviceName") or n["node"]["serviceName"] for n in plan["node"]["nodes"]]
    assert services == ["dialogue", "nlu", "dialogue", "generation"]


async def test_failing_subgraph_gives_partial_data_and_errors() -> None:
    subgraphs.reset()
    log: Log = []
    client, sub = await _client(log, broken={"generation"})
    try:
        body = await _post(client, '{ turn(id: "t1") { id action reply } version }')
    finally:
        await client.aclose()
        await sub.aclose()
    # reply is non-null: its parent turn becomes null; version (root) nulls data.
    assert body["data"] is None
    assert body["errors"]
    for err in body["errors"]:
        assert err["message"]
        assert "path" in err
    assert any(e.get("extensions", {}).get("serviceName") == "generation" for e in body["errors"])


async def test_failing_entity_subgraph_keeps_other_fields() -> None:
    subgraphs.reset()
    log: Log = []
    client, sub = await _client(log, broken={"nlu"})
    try:
        body = await _post(client, '{ turn(id: "t1") { id text understanding { intent } } }')
    finally:
        await client.aclose()
        await sub.aclose()
    assert body["data"] == {
        "turn": {"id": "t1", "text": "book a table for two", "understanding": None}
    }
    assert len(body["errors"]) == 1
    assert body["errors"][0]["path"] == ["turn", "understanding"]  # the field left null
    assert body["errors"][0]["extensions"]["serviceName"] == "nlu"


async def test_unreachable_subgraph_is_an_error_not_a_crash() -> None:
    sdl = SUPERGRAPH.replace("http://subgraphs/nlu", "http://127.0.0.1:4599/nowhere")
    app = create_router_app(sdl)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router")
    try:
        body = await _post(client, '{ understand(text: "hi") { intent } }')
    finally:
        await client.aclose()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "SUBGRAPH_FETCH_FAILED"
    assert body["errors"][0]["path"] == []


async def test_subgraph_errors_are_repathed(router: tuple[httpx.AsyncClient, Log]) -> None:
    client, _ = router
    body = await _post(client, '{ a: turn(id: "t1") { id } b: turn(id: "missing") { id } }')
    assert body == {"data": {"a": {"id": "t1"}, "b": None}}


async def test_aliases_typename_fragments_and_skip_include(
    router: tuple[httpx.AsyncClient, Log],
) -> None:
    client, _ = router
    query = """
      query Q($withReply: Boolean = true, $skipText: Boolean!) {
        t: turn(id: "t1") {
          __typename
          kind: __typename
          words: text @skip(if: $skipText)
          ...Parts
          reply @include(if: $withReply)
        }
      }
      fragment Parts on Turn { u: understanding { i: intent } }
    """
    body = await _post(client, query, variables={"skipText": True})
    assert body == {
        "data": {
            "t": {
                "__typename": "Turn",
                "kind": "Turn",
                "u": {"i": "book"},
                "reply": "reply to act_book",
            }
        }
    }
    body = await _post(client, query, variables={"skipText": False, "withReply": False})
    assert body["data"]["t"] == {
        "__typename": "Turn",
        "kind": "Turn",
        "words": "book a table for two",
        "u": {"i": "book"},
    }


async def test_get_query_health_and_introspection(router: tuple[httpx.AsyncClient, Log]) -> None:
    client, _ = router
    resp = await client.get("/health")
    assert resp.status_code == 200
    resp = await client.get("/graphql", params={"query": "{ version }"})
    assert resp.json() == {"data": {"version": "g1"}}
    resp = await client.get("/graphql", params={"query": 'mutation { say(text: "x") { id } }'})
    assert resp.status_code == 405
    body = await _post(client, '{ __type(name: "Turn") { fields { name } } __typename }')
    names = {f["name"] for f in body["data"]["__type"]["fields"]}
    assert names == {"id", "text", "understanding", "action", "reply"}
    assert body["data"]["__typename"] == "Query"
    body = await _post(client, '{ __type(name: "join__Graph") { name } }')
    assert body["data"]["__type"] is None
    resp = await client.get("/graphql", headers={"accept": "text/html"})
    assert resp.status_code == 200 and "<html" in resp.text
    assert "https://" not in resp.text


async def test_request_errors(router: tuple[httpx.AsyncClient, Log]) -> None:
    client, _ = router
    body = await _post(client, "{ turn(id: 1) { nope } }")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "data" not in body
    body = await _post(client, "{ turn(")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    body = await _post(client, "query Q($id: ID!) { turn(id: $id) { id } }")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_reload_swaps_the_supergraph(router: tuple[httpx.AsyncClient, Log]) -> None:
    client, _ = router
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    app: Any = transport.app
    smaller = SUPERGRAPH.replace("  version: String! @join__field(graph: GENERATION)\n", "")
    app.state.router.reload(smaller)
    body = await _post(client, "{ version }")
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    app.state.router.reload(SUPERGRAPH)
    body = await _post(client, "{ version }")
    assert body == {"data": {"version": "g1"}}
