"""Executing one cached plan: `Condition` nodes, shared plans, and fields left unfilled.

The router runs over the in-process `@requires`-chain subgraphs
(dialogue -> nlu -> dialogue -> generation), through the request stage, so
the plan comes from the plan cache as in production.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from graphql import parse

from router.execution.prepared import PreparedRequest
from router.execution.streams import stream_payloads
from router.planner import QueryPlanner, Subscription
from router.planner.operation import select_operation
from router.request.pipeline import Router
from router.settings import RouterSettings
from router.supergraph import load_supergraph
from tests.helpers import pipeline_subgraphs as subgraphs
from tests.helpers import stream_subgraphs
from tests.helpers.multipart import merge_incremental
from tests.helpers.supergraph_fixture import load_fixture

SUPERGRAPH = load_fixture("pipeline.graphql")
TEXTS = {"t1": "book a table for two", "t2": "hello there", "t3": "book a cab", "t4": "hi"}

QUERY = """
query Q($id: ID!, $r: Boolean!, $u: Boolean = true) {
  turn(id: $id) {
    id
    words: text
    understanding @include(if: $u) { intent }
    reply @include(if: $r)
    again: action @skip(if: $r)
  }
}
"""


class _NoData(httpx.AsyncBaseTransport):
    """Subgraphs over ASGI, but the named ones answer `{"data": null}` and no errors."""

    def __init__(self, inner: httpx.AsyncBaseTransport, silent: set[str]) -> None:
        self.inner = inner
        self.silent = silent

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.strip("/") in self.silent:
            return httpx.Response(200, json={"data": None})
        return await self.inner.handle_async_request(request)


async def _router(
    broken: set[str] | None = None, silent: set[str] | None = None
) -> tuple[Router, httpx.AsyncClient]:
    subgraphs.reset()
    for tid, text in TEXTS.items():
        subgraphs.TURNS[tid] = {"id": tid, "text": text}
    transport: httpx.AsyncBaseTransport = httpx.ASGITransport(
        app=subgraphs.subgraphs_app([], broken)
    )
    if silent:
        transport = _NoData(transport, silent)
    http = httpx.AsyncClient(transport=transport, base_url="http://subgraphs")
    return Router(SUPERGRAPH, RouterSettings(dev=True), http_client=http), http


@pytest.fixture
async def router() -> AsyncIterator[Router]:
    r, http = await _router()
    yield r
    await r.aclose()
    await http.aclose()


async def _run(router: Router, variables: dict[str, Any]) -> dict[str, Any]:
    response = await router.execute(QUERY, "Q", variables)
    assert response.status == 200, response.body
    return response.body


def _expected(tid: str, r: bool, u: bool = True) -> dict[str, Any]:
    intent = "book" if "book" in TEXTS[tid] else "chitchat"
    turn: dict[str, Any] = {"id": tid, "words": TEXTS[tid]}
    if u:
        turn["understanding"] = {"intent": intent}
    if r:
        turn["reply"] = f"reply to act_{intent}"
    else:
        turn["again"] = f"act_{intent}"
    return {"data": {"turn": turn}}


async def test_one_plan_serves_every_value_of_the_condition_variables(router: Router) -> None:
    planner = router.snapshot.planner
    seen = []
    for tid, r, u in [("t1", True, True), ("t2", False, True), ("t3", True, False)]:
        assert await _run(router, {"id": tid, "r": r, "u": u}) == _expected(tid, r, u)
        seen.append(planner.last_was_hit)
    assert seen == [False, True, True]  # one plan, planned once


async def test_a_cached_plan_runs_concurrently_with_different_data(router: Router) -> None:
    first = await _run(router, {"id": "t1", "r": True})
    assert first == _expected("t1", True)
    snap = router.snapshot
    entry = next(iter(snap.planner._cache.values()))  # the one cached plan
    (planned,) = entry.plans.values()
    before = orjson.dumps(planned.plan.to_dict())
    contexts = {k: copy.copy(c._collected) for k, c in planned.contexts.items()}
    cases = [(tid, r, u) for tid in TEXTS for r in (True, False) for u in (True, False)] * 3
    bodies = await asyncio.gather(
        *(_run(router, {"id": tid, "r": r, "u": u}) for tid, r, u in cases)
    )
    for (tid, r, u), body in zip(cases, bodies, strict=True):
        assert body == _expected(tid, r, u), (tid, r, u)
    # the plan, its shaping contexts' field lists and an exposed copy are untouched
    assert orjson.dumps(planned.plan.to_dict()) == before
    for k, collected in contexts.items():
        for key, fields in collected.items():
            assert planned.contexts[k]._collected[key] == fields
    exposed = planned.plan.to_dict()
    exposed["node"].clear()  # a plugin editing the exposed plan cannot reach the cached one
    assert orjson.dumps(planned.plan.to_dict()) == before
    # and a sequential run after all that gives the same answer as the first
    assert await _run(router, {"id": "t1", "r": True}) == first


async def test_a_field_whose_requires_input_failed_gets_its_own_error() -> None:
    router, http = await _router(broken={"nlu"})
    try:
        body = (
            await router.execute(
                'query { turn(id: "t2") { id understanding { intent } action } }', None, None
            )
        ).body
    finally:
        await router.aclose()
        await http.aclose()
    # action is non-null: its turn becomes null; its error names the failed requirement
    assert body["data"] == {"turn": None}
    by_path = {tuple(e["path"]): e for e in body["errors"]}
    action = by_path[("turn", "action")]
    assert action["message"] == (
        "Cannot resolve Turn.action: its @requires input Turn.understanding failed"
    )
    assert action["extensions"]["code"] == "SUBGRAPH_FETCH_FAILED"
    assert by_path[("turn", "understanding")]["extensions"]["serviceName"] == "nlu"


async def test_each_object_and_field_of_a_skipped_fetch_gets_an_error() -> None:
    router, http = await _router(broken={"nlu"})
    query = '{ a: turn(id: "t1") { reply r2: reply } b: turn(id: "t4") { id action } }'
    try:
        body = (await router.execute(query, None, None)).body
    finally:
        await router.aclose()
        await http.aclose()
    assert body["data"] == {"a": None, "b": None}
    messages = {tuple(e["path"]): e["message"] for e in body["errors"]}
    assert messages[("b", "action")].endswith("its @requires input Turn.understanding failed")
    # reply's fetch needs action, which could not be computed either
    assert messages[("a", "reply")] == (
        "Cannot resolve Turn.reply: its @requires input Turn.action failed"
    )
    assert messages[("a", "r2")] == messages[("a", "reply")]


async def test_data_null_without_errors_is_an_error_on_each_field() -> None:
    router, http = await _router(silent={"dialogue"})
    try:
        body = (await router.execute('{ turn(id: "t1") { id } a: turn(id: "t2") { id } }')).body
    finally:
        await router.aclose()
        await http.aclose()
    assert body["data"] == {"turn": None, "a": None}
    errors = sorted(body["errors"], key=lambda e: e["path"])
    assert [e["path"] for e in errors] == [["a"], ["turn"]]
    for e in errors:
        assert e["extensions"] == {"code": "SUBGRAPH_BAD_RESPONSE", "serviceName": "dialogue"}
        assert "no data and no errors" in e["message"]


async def test_entity_data_null_without_errors_is_an_error_on_each_object() -> None:
    router, http = await _router(silent={"nlu"})
    query = '{ a: turn(id: "t1") { id understanding { intent } } b: turn(id: "t2") { id } }'
    try:
        body = (await router.execute(query)).body
    finally:
        await router.aclose()
        await http.aclose()
    assert body["data"] == {"a": {"id": "t1", "understanding": None}, "b": {"id": "t2"}}
    (err,) = body["errors"]
    assert err["path"] == ["a", "understanding"]
    assert err["message"] == (
        "subgraph 'nlu' answered no data and no errors for Turn.understanding"
    )


CHAT_SDL = stream_subgraphs.supergraph("http://chat/graphql", "http://users/graphql")
CHAT = QueryPlanner(load_supergraph(CHAT_SDL))
SUBSCRIPTIONS = stream_subgraphs.CONDITIONAL_SUBSCRIPTIONS


@pytest.mark.parametrize("query", SUBSCRIPTIONS)
async def test_prepared_subscriptions_decide_root_conditions(query: str) -> None:
    router = Router(CHAT_SDL, RouterSettings())  # nothing is fetched: prepare only
    try:
        for p in (True, False):
            prepared = await router.prepare(query, None, {"p": p})
            assert isinstance(prepared, PreparedRequest)
            assert prepared.subscription and not prepared.incremental
            node = prepared.node
            assert isinstance(node, Subscription)
            doc = parse(query)
            op = select_operation(doc, None)
            assert op is not None
            fixed = CHAT.plan(doc, op, {"p": p}).plan.node
            assert isinstance(fixed, Subscription)
            assert node.primary == fixed.primary
            assert prepared.context.conditions == {"p": p}
    finally:
        await router.aclose()


DEFERRED = """
query D($id: ID!, $r: Boolean!) {
  turn(id: $id) { id reply @include(if: $r) ... @defer(label: "later") { action words: text } }
}
"""


async def test_a_deferred_plan_under_a_condition_streams_each_side(router: Router) -> None:
    for tid, r in [("t1", True), ("t2", False), ("t3", False), ("t1", True)]:
        prepared = await router.prepare(DEFERRED, "D", {"id": tid, "r": r})
        assert isinstance(prepared, PreparedRequest) and prepared.incremental
        # each payload as a transport frames it, when it is yielded
        payloads = [orjson.loads(orjson.dumps(p)) async for p in stream_payloads(prepared)]
        assert payloads[0]["hasNext"] is True and payloads[-1]["hasNext"] is False
        (item,) = [i for p in payloads[1:] for i in p.get("incremental", ())]
        assert item["label"] == "later" and item["path"] == ["turn"]
        intent = "book" if "book" in TEXTS[tid] else "chitchat"
        want: dict[str, Any] = {"id": tid, "action": f"act_{intent}", "words": TEXTS[tid]}
        if r:
            want["reply"] = f"reply to act_{intent}"
        assert payloads[0]["data"]["turn"] == {k: want[k] for k in ("id", "reply") if k in want}
        assert merge_incremental(payloads) == {"turn": want}
    assert router.snapshot.planner.last_was_hit  # one plan for both values of $r
