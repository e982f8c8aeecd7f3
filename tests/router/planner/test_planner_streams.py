"""Planner tests for `Subscription` and `Defer` nodes: pure, no sockets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import parse

from router.planner import (
    PlannedOperation,
    PlanningError,
    QueryPlanner,
    condition_values,
    condition_variables,
)
from router.planner.operation import select_operation
from router.supergraph import load_supergraph
from tests.helpers import stream_subgraphs as sub
from tests.helpers.supergraph_fixture import load_fixture

PIPELINE = QueryPlanner(load_supergraph(load_fixture("pipeline.graphql")))
CHAT = QueryPlanner(load_supergraph(sub.supergraph("http://chat/graphql", "http://users/graphql")))


def planned(
    qp: QueryPlanner, query: str, variables: dict[str, Any] | None = None
) -> PlannedOperation:
    doc = parse(query)
    op = select_operation(doc, None)
    assert op is not None
    names = condition_variables(doc)
    conds = dict(zip(names, condition_values(op, names, variables), strict=True))
    return qp.plan(doc, op, conds)


def node(qp: QueryPlanner, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    p = planned(qp, query, variables).plan.to_dict()
    json.dumps(p)  # the plan is JSON
    out: dict[str, Any] = p["node"]
    return out


def fetches(n: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """Every fetch below `n` as (service, flatten path, operation), in plan order."""
    if n is None:
        return []
    kind = n["kind"]
    if kind == "Fetch":
        return [(n["serviceName"], "", n["operation"])]
    if kind == "Flatten":
        f = n["node"]
        return [(f["serviceName"], ".".join(n["path"]), f["operation"])]
    if kind in ("Sequence", "Parallel"):
        return [x for c in n["nodes"] for x in fetches(c)]
    raise AssertionError(kind)


# ----------------------------------------------------------------- subscriptions
def test_subscription_node_has_primary_stream_and_rest_per_event() -> None:
    n = node(CHAT, 'subscription { messages(room: "r") { id shout author { name } } }')
    assert n["kind"] == "Subscription"
    primary = n["primary"]
    assert primary["serviceName"] == "chat" and primary["operationKind"] == "subscription"
    assert primary["operation"].startswith('subscription { messages(room: "r")')
    rest = fetches(n["rest"])
    assert sorted((s, p) for s, p, _ in rest) == [
        ("users", "messages"),
        ("users", "messages.author"),
    ]
    shout = next(op for s, p, op in rest if p == "messages")
    assert "shout" in shout
    # the @requires input (text) and the keys come from the subscription fetch itself
    assert "text" in primary["operation"] and "author { id __typename }" in primary["operation"]


def test_subscription_served_by_one_subgraph_needs_no_rest() -> None:
    n = node(CHAT, "subscription { endless { id text } }")
    assert n["kind"] == "Subscription" and n["rest"] is None


def test_defer_is_ignored_in_subscriptions() -> None:
    n = node(CHAT, "subscription { endless { id ... @defer { author { name } } } }")
    assert n["kind"] == "Subscription"
    assert [p for _, p, _ in fetches(n["rest"])] == ["endless.author"]


# ------------------------------------------------------------------------ defer
def test_entity_defer_fetches_the_key_first_and_the_rest_later() -> None:
    n = node(PIPELINE, '{ turn(id: "t1") { id text ... @defer(label: "r") { reply } } }')
    assert n["kind"] == "Defer"
    (primary,) = fetches(n["primary"]["node"])
    assert primary[0] == "dialogue"
    assert "__typename" in primary[2] and "id" in primary[2]
    (d,) = n["deferred"]
    assert (d["id"], d["depends"], d["label"], d["queryPath"]) == (1, 0, "r", ["turn"])
    assert d["typeCondition"] == "Turn" and d["subselection"] == "{ reply }"
    # reply requires action requires understanding requires text; `text` came with
    # the primary fetch, so the deferred part does not fetch it again
    assert [s for s, _, _ in fetches(d["node"])] == ["nlu", "dialogue", "generation"]


def test_deferred_fields_never_leak_into_the_primary_fetch() -> None:
    n = node(PIPELINE, '{ turn(id: "t1") { ... @defer { text understanding { intent } } } }')
    (primary,) = fetches(n["primary"]["node"])
    assert "text" not in primary[2] and "understanding" not in primary[2]
    services = [s for s, _, _ in fetches(n["deferred"][0]["node"])]
    assert services == ["dialogue", "nlu"]


def test_root_defer_is_its_own_root_fetch() -> None:
    n = node(PIPELINE, '{ version ... @defer(label: "u") { understand(text: "x") { intent } } }')
    assert fetches(n["primary"]["node"]) == [("generation", "", "query { version }")]
    (d,) = n["deferred"]
    assert d["queryPath"] == [] and d["typeCondition"] == "Query"
    assert [(s, p) for s, p, _ in fetches(d["node"])] == [("nlu", "")]


def test_value_type_defer_is_fetched_with_its_parent() -> None:
    n = node(PIPELINE, '{ understand(text: "x") { intent ... @defer { confidence } } }')
    (primary,) = fetches(n["primary"]["node"])
    assert "confidence" in primary[2]
    (d,) = n["deferred"]
    assert d["node"] is None and d["queryPath"] == ["understand"]


def test_nested_defers_depend_on_their_parent() -> None:
    q = """{ messages(room: "a") { id ... @defer(label: "outer") {
              author { name ... @defer(label: "inner") { bio } } } } }"""
    n = node(CHAT, q)
    outer, inner = n["deferred"]
    assert (outer["label"], outer["depends"]) == ("outer", 0)
    assert (inner["label"], inner["depends"]) == ("inner", outer["id"])
    assert inner["queryPath"] == ["messages", "@", "author"]
    assert [(s, p) for s, p, _ in fetches(inner["node"])] == [("users", "messages.@.author")]
    assert "bio" not in json.dumps(outer["node"])


def test_defer_if_variable_is_decided_per_plan() -> None:
    q = 'query($d: Boolean!) { turn(id: "t1") { id ... @defer(if: $d) { reply } } }'
    assert "d" in condition_variables(parse(q))
    assert node(PIPELINE, q, {"d": True})["kind"] == "Defer"
    assert node(PIPELINE, q, {"d": False})["kind"] == "Sequence"


def test_same_label_at_two_places() -> None:
    q = """{ a: message(id: "x-1") { ... @defer(label: "l") { text } }
             b: message(id: "x-2") { ... @defer(label: "l") { shout } } }"""
    n = node(CHAT, q)
    paths = sorted(d["queryPath"] for d in n["deferred"])
    assert paths == [["a"], ["b"]]


def test_two_roots_in_a_subscription_are_refused() -> None:
    with pytest.raises(PlanningError):
        # not valid GraphQL (one root field per subscription); the planner refuses too
        planned(CHAT, 'subscription { endless { id } messages(room: "r") { id } }')
