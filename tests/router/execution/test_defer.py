"""`@defer` end to end over in-process subgraphs (ASGI transport): multipart framing,
Apollo's deferSpec=20220824 payloads, nested and root defers, errors, plans.

Every test checks the merged incremental result against the same operation
without `@defer`, so a part that is missing, misplaced or doubled fails.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers import pipeline_subgraphs as pipeline_subgraphs
from tests.helpers import stream_subgraphs as sub
from tests.helpers.multipart import merge_incremental, parse_multipart
from tests.helpers.supergraph_fixture import load_fixture

MULTIPART = {"accept": "multipart/mixed;deferSpec=20220824, application/json"}
PIPELINE = load_fixture("pipeline.graphql")


async def _broken(request: Request) -> Response:
    return JSONResponse({"message": "boom"}, status_code=500)


def _stream_subgraphs(broken: set[str]) -> Starlette:
    routes = []
    for name, schema in (("chat", sub.chat_schema), ("users", sub.users_schema)):
        if name in broken:
            routes.append(Route(f"/{name}", _broken, methods=["POST"]))
        else:
            routes.append(Route(f"/{name}", GraphQL(schema), methods=["POST"]))
    return Starlette(routes=routes)


async def _router(sdl: str, subgraphs: Any) -> AsyncIterator[httpx.AsyncClient]:
    sub_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=subgraphs), base_url="http://subgraphs"
    )
    app = create_router_app(sdl, settings=RouterSettings(dev=True), http_client=sub_http)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://router")
    yield client
    await client.aclose()
    await sub_http.aclose()


@pytest.fixture
async def chat() -> AsyncIterator[httpx.AsyncClient]:
    sdl = sub.supergraph("http://subgraphs/chat", "http://subgraphs/users")
    async for c in _router(sdl, _stream_subgraphs(set())):
        yield c


@pytest.fixture
async def pipeline() -> AsyncIterator[httpx.AsyncClient]:
    pipeline_subgraphs.reset()
    async for c in _router(PIPELINE, pipeline_subgraphs.subgraphs_app([])):
        yield c


async def _deferred(client: httpx.AsyncClient, query: str, **extra: Any) -> list[dict[str, Any]]:
    resp = await client.post("/graphql", json={"query": query, **extra}, headers=MULTIPART)
    assert resp.status_code == 200, resp.text
    return parse_multipart(resp)


async def _plain(client: httpx.AsyncClient, query: str, **extra: Any) -> dict[str, Any]:
    resp = await client.post("/graphql", json={"query": query, **extra})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    assert "errors" not in body, body
    return body


def _without_defer(query: str) -> str:
    import re

    return re.sub(r"@defer(\([^)]*\))?", "", query)


async def test_entity_fields_deferred(pipeline: httpx.AsyncClient) -> None:
    query = (
        '{ turn(id: "t1") { id text ... @defer(label: "r") { reply understanding { intent } } } }'
    )
    parts = await _deferred(pipeline, query)
    assert parts[0] == {
        "data": {"turn": {"id": "t1", "text": "book a table for two"}},
        "hasNext": True,
    }
    assert parts[1:] == [
        {
            "hasNext": False,
            "incremental": [
                {
                    "data": {"reply": "reply to act_book", "understanding": {"intent": "book"}},
                    "path": ["turn"],
                    "label": "r",
                }
            ],
        }
    ]
    plain = await _plain(pipeline, _without_defer(query))
    assert merge_incremental(parts) == plain["data"]


async def test_defer_in_mutation_runs_the_mutation_once(pipeline: httpx.AsyncClient) -> None:
    before = len(pipeline_subgraphs.TURNS)
    query = 'mutation { say(text: "book it") { id ... @defer { action reply } } }'
    parts = await _deferred(pipeline, query)
    assert len(pipeline_subgraphs.TURNS) == before + 1
    tid = parts[0]["data"]["say"]["id"]
    assert merge_incremental(parts) == {
        "say": {"id": tid, "action": "act_book", "reply": "reply to act_book"}
    }


async def test_without_multipart_accept_defer_is_rejected(pipeline: httpx.AsyncClient) -> None:
    resp = await pipeline.post(
        "/graphql", json={"query": '{ turn(id: "t1") { ... @defer { reply } } }'}
    )
    assert resp.status_code == 406
    assert resp.json()["errors"][0]["extensions"]["code"] == "DEFER_BAD_HEADER"


async def test_defer_if_false_is_an_ordinary_response(pipeline: httpx.AsyncClient) -> None:
    query = 'query($d: Boolean!) { turn(id: "t1") { id ... @defer(if: $d) { reply } } }'
    resp = await pipeline.post(
        "/graphql", json={"query": query, "variables": {"d": False}}, headers=MULTIPART
    )
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json() == {"data": {"turn": {"id": "t1", "reply": "reply to act_book"}}}
    parts = await _deferred(pipeline, query, variables={"d": True})
    assert len(parts) == 2 and parts[1]["incremental"][0]["data"] == {"reply": "reply to act_book"}


async def test_defer_in_lists_nested_and_at_the_root(chat: httpx.AsyncClient) -> None:
    query = """
    query {
      messages(room: "a", count: 3) {
        id
        ... @defer(label: "author") {
          text
          author { name ... @defer(label: "bio") { bio } }
        }
      }
      ... @defer(label: "root") { user(id: "u1") { name } }
    }"""
    parts = await _deferred(chat, query)
    assert parts[0]["data"] == {"messages": [{"id": "a-0"}, {"id": "a-1"}, {"id": "a-2"}]}
    items = [i for p in parts[1:] for i in p.get("incremental", [])]
    by_label: dict[str, list[Any]] = {}
    for i in items:
        by_label.setdefault(i["label"], []).append(i["path"])
    assert sorted(by_label["author"]) == [["messages", 0], ["messages", 1], ["messages", 2]]
    assert sorted(by_label["bio"]) == [["messages", i, "author"] for i in range(3)]
    assert by_label["root"] == [[]]
    # a nested part never arrives before its parent
    order = [i["label"] for i in items]
    assert order.index("author") < order.index("bio")
    plain = await _plain(chat, _without_defer(query))
    assert merge_incremental(parts) == plain["data"]


async def test_defer_on_value_type_is_delivered_apart(pipeline: httpx.AsyncClient) -> None:
    """`Understanding` has no key: its fields come with the parent, delivered later."""
    query = '{ understand(text: "book") { intent ... @defer { confidence } } }'
    parts = await _deferred(pipeline, query)
    assert parts[0]["data"] == {"understand": {"intent": "book"}}
    assert parts[1]["incremental"] == [{"data": {"confidence": 0.5}, "path": ["understand"]}]


async def test_failing_deferred_fetch_nulls_only_its_part() -> None:
    sdl = sub.supergraph("http://subgraphs/chat", "http://subgraphs/users")
    async for client in _router(sdl, _stream_subgraphs({"users"})):
        query = '{ message(id: "x-2") { id text ... @defer { author { name } } } }'
        parts = await _deferred(client, query)
    assert parts[0] == {
        "data": {"message": {"id": "x-2", "text": "message 2 in x"}},
        "hasNext": True,
    }
    (item,) = parts[1]["incremental"]
    assert item["data"] is None and item["path"] == ["message"]
    assert item["errors"][0]["extensions"]["code"] == "SUBGRAPH_BAD_RESPONSE"
    assert item["errors"][0]["path"][0] == "message"
    assert parts[1]["hasNext"] is False


async def test_null_parent_gets_no_deferred_payload(chat: httpx.AsyncClient) -> None:
    parts = await _deferred(chat, '{ message(id: "nope") { id ... @defer { text } } }')
    assert parts == [{"data": {"message": None}, "hasNext": True}, {"hasNext": False}]


async def test_defer_plan_is_exposed(pipeline: httpx.AsyncClient) -> None:
    resp = await pipeline.post(
        "/graphql",
        json={"query": '{ turn(id: "t1") { id ... @defer(label: "late") { reply } } }'},
        headers={**MULTIPART, "chorus-expose-query-plan": "true"},
    )
    first = parse_multipart(resp)[0]
    node = first["extensions"]["queryPlan"]["node"]
    assert node["kind"] == "Defer"
    assert node["primary"]["node"]["serviceName"] == "dialogue"
    (deferred,) = node["deferred"]
    assert deferred["label"] == "late" and deferred["queryPath"] == ["turn"]
    assert deferred["subselection"] == "{ reply }"
    services = json.dumps(deferred["node"])
    assert '"serviceName": "generation"' in services


async def test_defer_directive_is_in_the_api_schema(pipeline: httpx.AsyncClient) -> None:
    body = await _plain(pipeline, "{ __schema { directives { name args { name } } } }")
    defer = [d for d in body["data"]["__schema"]["directives"] if d["name"] == "defer"]
    assert defer and {a["name"] for a in defer[0]["args"]} == {"label", "if"}
