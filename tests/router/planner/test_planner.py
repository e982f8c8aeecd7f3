"""Planner tests on our own fixture supergraphs: pure, no sockets."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from graphql import parse

from router.planner import (
    CachingPlanner,
    PlanningError,
    QueryPlan,
    QueryPlanner,
    condition_values,
    condition_variables,
)
from router.planner.operation import select_operation
from router.supergraph import load_supergraph
from tests.helpers.supergraph_fixture import load_fixture

_PLANNERS: dict[str, QueryPlanner] = {}


def planner(fixture: str) -> QueryPlanner:
    if fixture not in _PLANNERS:
        _PLANNERS[fixture] = QueryPlanner(load_supergraph(load_fixture(fixture)))
    return _PLANNERS[fixture]


def plan(fixture: str, query: str, variables: dict[str, Any] | None = None) -> QueryPlan:
    doc = parse(query)
    op = select_operation(doc, None)
    assert op is not None
    names = condition_variables(doc)
    conds = dict(zip(names, condition_values(op, names, variables), strict=True))
    return planner(fixture).plan(doc, op, conds).plan


def stages(p: QueryPlan) -> list[list[tuple[str, str, str]]]:
    """The plan as stages of (service, flatten path, operation), for Sequence-of-Parallel plans."""

    def fetches(n: dict[str, Any]) -> list[tuple[str, str, str]]:
        if n["kind"] == "Fetch":
            return [(n["serviceName"], "", n["operation"])]
        if n["kind"] == "Flatten":
            f = n["node"]
            return [(f["serviceName"], ".".join(n["path"]), f["operation"])]
        assert n["kind"] == "Parallel"
        return [x for c in n["nodes"] for x in fetches(c)]

    node = p.to_dict()["node"]
    if node is None:
        return []
    if node["kind"] == "Sequence":
        return [fetches(c) for c in node["nodes"]]
    return [fetches(node)]


def services(p: QueryPlan) -> list[list[str]]:
    return [sorted(s for s, _, _ in stage) for stage in stages(p)]


# --------------------------------------------------------------------- keys
def test_single_subgraph_query_is_one_fetch() -> None:
    p = plan("products.graphql", "{ products { upc name } }")
    assert stages(p) == [[("catalog", "", "query { products { upc name } }")]]


def test_entity_fetch_uses_key_and_dedicated_subgraph() -> None:
    p = plan("products.graphql", "{ products { name price } }")
    assert services(p) == [["catalog"], ["inventory"]]
    (_svc, path, op) = stages(p)[1][0]
    assert path == "products.@"
    assert "_entities(representations: $representations)" in op
    assert "... on Product { price }" in op
    flat = p.to_dict()["node"]["nodes"][1]["node"]
    assert flat["requires"] == [
        {"typeCondition": "Product", "typename": "Product", "fields": [{"name": "upc"}]}
    ]
    # the parent fetch selects the key and __typename for the representation
    assert "upc" in stages(p)[0][0][2] and "__typename" in stages(p)[0][0][2]


def test_composite_nested_key_is_used_where_the_only_key() -> None:
    p = plan("products.graphql", "{ products { shippingCost } }")
    fetch = p.to_dict()["node"]["nodes"][1]["node"]
    assert fetch["serviceName"] == "shipping"
    fields = fetch["requires"][0]["fields"]
    assert fields[0] == {
        "name": "sku",
        "selections": [{"fields": [{"name": "brand"}, {"name": "code"}]}],
    }


def test_non_resolvable_key_is_never_a_target() -> None:
    p = plan("products.graphql", "{ products { name price inStock reviews { body } } }")
    assert all("legacy" not in s for stage in services(p) for s in stage)


# ----------------------------------------------------------------- requires
def test_requires_with_conflicting_arguments_are_aliased_and_split() -> None:
    p = plan("products.graphql", '{ products { weight(unit: "g") shippingCost shippingCostLb } }')
    root_op = stages(p)[0][0][2]
    assert 'weight(unit: "g")' in root_op
    assert 'weight(unit: "kg")' in root_op and 'weight(unit: "lb")' in root_op
    entity = [f for stage in stages(p)[1:] for f in stage]
    assert sorted(s for s, _, _ in entity) == ["shipping", "shipping"]
    reqs = [n["node"]["requires"][0]["fields"] for n in p.to_dict()["node"]["nodes"][1]["nodes"]]
    weights = [next(f for f in r if f["name"] == "weight") for r in reqs]
    # both read "weight" into the representation, each from its own alias
    assert len({w.get("key", "weight") for w in weights}) == 2
    assert all(w.get("key", "") != "weight" for w in weights)


@pytest.mark.parametrize("kind", ["query", "mutation"])
def test_requires_chain_is_ordered_in_every_root_type(kind: str) -> None:
    root = '{ turn(id: "t1")' if kind == "query" else 'mutation { say(text: "hi")'
    p = plan("pipeline.graphql", root + " { reply } }")
    assert services(p) == [["dialogue"], ["nlu"], ["dialogue"], ["generation"]]
    ops = [stage[0][2] for stage in stages(p)]
    assert ops[0].startswith(kind)
    assert "understanding" in ops[1]
    assert "action" in ops[2]
    assert "reply" in ops[3]
    nodes = p.to_dict()["node"]["nodes"]
    # generation receives `action`; dialogue receives `understanding { intent confidence }`
    assert {f["name"] for f in nodes[3]["node"]["requires"][0]["fields"]} == {"id", "action"}
    und = next(f for f in nodes[2]["node"]["requires"][0]["fields"] if f["name"] == "understanding")
    assert und["selections"][0]["fields"] == [{"name": "intent"}, {"name": "confidence"}]


def test_requires_field_fetched_with_its_sibling_in_one_call() -> None:
    p = plan("pipeline.graphql", '{ turn(id: "t1") { understanding { intent } action reply } }')
    assert services(p) == [["dialogue"], ["nlu"], ["dialogue"], ["generation"]]


# ----------------------------------------------------------------- provides
def test_provides_is_used_without_entity_fetch() -> None:
    p = plan("products.graphql", "{ topReviews { body product { name } } }")
    assert services(p) == [["reviews"]]
    assert "product { name }" in stages(p)[0][0][2]


def test_field_outside_provides_needs_entity_fetch() -> None:
    p = plan("products.graphql", "{ topReviews { product { name price } } }")
    assert services(p) == [["reviews"], ["inventory"]]


# ----------------------------------------------------------------- override
def test_override_moves_field_to_the_overriding_subgraph() -> None:
    p = plan("products.graphql", "{ products { price } }")
    assert services(p) == [["catalog"], ["inventory"]]
    assert "price" not in stages(p)[0][0][2]


def test_override_from_a_missing_subgraph() -> None:
    p = plan("products.graphql", "{ products { inStock } }")
    assert services(p) == [["catalog"], ["inventory"]]


# ---------------------------------------------------------------- shareable
def test_shareable_root_field_is_split_across_subgraphs() -> None:
    p = plan("products.graphql", "{ store { name stock } }")
    assert services(p) == [["catalog", "inventory"]]


# ---------------------------------------------------------------- mutations
def test_mutations_run_serially_in_document_order() -> None:
    p = plan(
        "products.graphql",
        'mutation { a: createProduct(name: "x") { upc } b: restock(upc: "1") '
        'c: createProduct(name: "y") { upc } }',
    )
    node = p.to_dict()["node"]
    assert node["kind"] == "Sequence"
    order = [n["serviceName"] for n in node["nodes"]]
    assert order == ["catalog", "inventory", "catalog"]


def test_consecutive_mutations_to_one_subgraph_share_a_fetch() -> None:
    p = plan(
        "products.graphql",
        'mutation { a: createProduct(name: "x") { upc } c: rename(upc: "1", name: "y") { upc } }',
    )
    assert services(p) == [["catalog"]]


# ------------------------------------------------------------ abstract types
def test_union_members_follow_each_subgraph() -> None:
    p = plan(
        "media.graphql",
        "{ media { ... on Book { title pages } ... on Song { length } ... on Movie { minutes } } }",
    )
    root = stages(p)[0][0][2]
    assert "... on Movie" not in root  # subgraph a does not know Movie in Media
    assert "... on Song { length }" in root
    assert services(p) == [["a"], ["b"]]
    assert stages(p)[1][0][1] == "media.@"


def test_interface_object_fields_resolve_with_interface_typename() -> None:
    p = plan("media.graphql", "{ media { ... on Book { tags } } }")
    fetch = p.to_dict()["node"]["nodes"][1]["node"]
    assert fetch["serviceName"] == "b"
    assert fetch["requires"][0]["typename"] == "Node"
    assert fetch["requires"][0]["typeCondition"] == "Book"
    assert fetch["dropTypename"] is True


def test_interface_object_typename_is_resolved_through_the_entity_interface() -> None:
    p = plan("media.graphql", "{ nodes { __typename ... on Book { title } } }")
    assert services(p) == [["b"], ["c"], ["a"]]
    assert "__typename" in stages(p)[1][0][2]


def test_interface_object_fields_alone_need_no_type_resolution() -> None:
    p = plan("media.graphql", "{ nodes { id tags } }")
    assert services(p) == [["b"]]


# ------------------------------------------------------------ skip / include
def test_skip_and_include_are_decided_per_plan() -> None:
    q = "query($p: Boolean!) { products { name price @include(if: $p) } }"
    assert services(plan("products.graphql", q, {"p": True})) == [["catalog"], ["inventory"]]
    assert services(plan("products.graphql", q, {"p": False})) == [["catalog"]]


# ---------------------------------------------------------- plan properties
def test_plan_is_json_serialisable_and_frozen() -> None:
    p = plan("pipeline.graphql", '{ turn(id: "t1") { reply } }')
    data = orjson.loads(orjson.dumps(p.to_dict()))
    assert data["kind"] == "QueryPlan"
    with pytest.raises(AttributeError):
        p.node = None  # type: ignore[misc]


def test_plans_are_cached_per_document_operation_and_defer_conditions() -> None:
    # Changed with issue 18: `@skip`/`@include` variables became `Condition` nodes, so
    # their values no longer key the cache (one plan serves both); `@defer(if:)` still does.
    qp = CachingPlanner(planner("products.graphql"))
    doc = parse("query($p: Boolean!) { products { name @skip(if: $p) } }")
    op = select_operation(doc, None)
    assert op is not None
    a = qp.plan(doc, op, {"p": True}, cache_key=("q", None))
    b = qp.plan(doc, op, {"p": True}, cache_key=("q", None))
    c = qp.plan(doc, op, {"p": False}, cache_key=("q", None))
    assert a is b
    assert c is a
    doc = parse("query($d: Boolean!) { products { ... @defer(if: $d) { name } } }")
    op = select_operation(doc, None)
    assert op is not None
    d = qp.plan(doc, op, {"d": True}, cache_key=("d", None))
    e = qp.plan(doc, op, {"d": False}, cache_key=("d", None))
    assert d is not e
    assert d is qp.plan(doc, op, {"d": True}, cache_key=("d", None))


def test_unplannable_field_raises_planning_error() -> None:
    sdl = load_fixture("products.graphql").replace(
        '@join__type(graph: REVIEWS, key: "id")', "@join__type(graph: REVIEWS)"
    )
    sdl = sdl.replace(
        "  body: String!\n", "  body: String!\n  score: Int! @join__field(graph: CATALOG)\n"
    )
    qp = QueryPlanner(load_supergraph(sdl))
    doc = parse("{ topReviews { score } }")
    op = select_operation(doc, None)
    assert op is not None
    with pytest.raises(PlanningError):
        qp.plan(doc, op, {})
