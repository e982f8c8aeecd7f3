"""`Condition` nodes: one plan for every value of `@skip`/`@include` variables."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from graphql import parse

from router.planner import (
    CachingPlanner,
    Condition,
    Fetch,
    Flatten,
    QueryPlanner,
    Renames,
    condition_values,
    condition_variables,
)
from router.planner.operation import select_operation
from router.planner.plan import PlanNode
from router.planner.selection import SelNode, assign_wire_keys, renames
from router.supergraph import load_supergraph
from tests.helpers import stream_subgraphs
from tests.helpers.supergraph_fixture import load_fixture

PRODUCTS = QueryPlanner(load_supergraph(load_fixture("products.graphql")))
PIPELINE = QueryPlanner(load_supergraph(load_fixture("pipeline.graphql")))


def _decide(node: Any, values: dict[str, bool]) -> Any:
    """The plan dict as a request with `values` runs it: conditions decided, fetch ids dropped."""
    if isinstance(node, list):
        return [x for x in (_decide(n, values) for n in node) if x is not None]
    if not isinstance(node, dict):
        return node
    kind = node.get("kind")
    if kind == "Condition":
        side = "ifClause" if values[node["condition"]] else "elseClause"
        return _decide(node.get(side), values)
    out = {k: _decide(v, values) for k, v in node.items() if not (k == "id" and kind == "Fetch")}
    if kind in ("Sequence", "Parallel"):
        kids = out["nodes"]
        if not kids:
            return None
        if len(kids) == 1:
            return kids[0]
    return out


def _flat(node: Any) -> Any:
    """Nested sequences flattened (a decided plan may hold a sequence in a sequence)."""
    if not isinstance(node, dict) or node.get("kind") != "Sequence":
        return node
    steps: list[Any] = []
    for n in node["nodes"]:
        n = _flat(n)
        steps.extend(n["nodes"] if isinstance(n, dict) and n.get("kind") == "Sequence" else [n])
    return {"kind": "Sequence", "nodes": steps}


def _parsed(query: str) -> tuple[Any, Any]:
    doc = parse(query)
    op = select_operation(doc, None)
    assert op is not None
    return doc, op


QUERIES = [
    (PRODUCTS, "query($p: Boolean!) { products { name price @include(if: $p) } }"),
    (PRODUCTS, "query($p: Boolean!) { products { upc @skip(if: $p) inStock } }"),
    (
        PRODUCTS,
        "query($a: Boolean!, $b: Boolean!) { products { name @include(if: $a) "
        "... @skip(if: $b) { price inStock } } }",
    ),
    (
        PIPELINE,
        'query($r: Boolean!, $u: Boolean = true) { turn(id: "t1") { id '
        "understanding @include(if: $u) { intent } reply @include(if: $r) } }",
    ),
]


@pytest.mark.parametrize(("planner", "query"), QUERIES)
def test_one_plan_runs_as_the_plan_made_for_each_value(planner: QueryPlanner, query: str) -> None:
    doc, op = _parsed(query)
    names = condition_variables(doc)
    branched = planner.plan(doc, op, {})
    assert branched.branch_variables == names
    whole = branched.plan.to_dict()
    for values in itertools.product((True, False), repeat=len(names)):
        conds = dict(zip(names, values, strict=True))
        fixed = planner.plan(doc, op, conds).plan.to_dict()
        assert _flat(_decide(whole["node"], conds)) == _flat(_decide(fixed["node"], conds))
        # and the shaper walks the operation as the fixed plan's context does
        ctx = branched.context_for(conds)
        assert ctx.conditions == conds


def _conditions(n: Any, found: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    found = [] if found is None else found
    if isinstance(n, dict):
        if n.get("kind") == "Condition":
            found.append(n)
        for v in n.values():
            _conditions(v, found)
    elif isinstance(n, list):
        for v in n:
            _conditions(v, found)
    return found


def test_a_condition_node_has_apollos_shape() -> None:
    doc, op = _parsed("query($p: Boolean!) { products { name price @include(if: $p) } }")
    p = PRODUCTS.plan(doc, op, {}).plan.to_dict()
    (cond,) = _conditions(p)
    assert cond["condition"] == "p"
    assert set(cond) <= {"kind", "condition", "ifClause", "elseClause"}
    # price comes from inventory: only the true side fetches from it
    assert "inventory" in str(cond["ifClause"])
    assert "inventory" not in str(cond.get("elseClause"))


def test_literal_conditions_are_folded() -> None:
    doc, op = _parsed("{ products { name price @include(if: false) upc @skip(if: true) } }")
    planned = PRODUCTS.plan(doc, op, {})
    assert planned.branch_variables == ()
    assert not _conditions(planned.plan.to_dict())
    assert isinstance(planned.plan.node, Fetch)


def test_the_cache_key_leaves_skip_include_values_out() -> None:
    cache = CachingPlanner(PRODUCTS)
    doc, op = _parsed("query($p: Boolean!) { products { name price @include(if: $p) } }")
    names = condition_variables(doc)
    seen = []
    for variables in ({"p": True}, {"p": False}, {"p": True}):
        conds = dict(zip(names, condition_values(op, names, variables), strict=True))
        seen.append(cache.plan(doc, op, conds, cache_key=("q", None)))
        assert cache.last_was_hit == (len(seen) > 1)
    assert seen[0] is seen[1] is seen[2]
    assert seen[0].context_for({"p": True}) is not seen[0].context_for({"p": False})


def test_defer_plans_branch_and_defer_if_values_key_the_cache() -> None:
    q = (
        'query($p: Boolean!, $d: Boolean!) { turn(id: "t1") { id reply @include(if: $p) '
        "... @defer { action } ... @defer(if: $d) { text } } }"
    )
    doc, op = _parsed(q)
    assert PIPELINE.fixed_variables(doc, op) == ("d",)
    cache = CachingPlanner(PIPELINE)
    planned = {
        (p, d): cache.plan(doc, op, {"p": p, "d": d}, cache_key=("d", None))
        for p in (True, False)
        for d in (True, False)
    }
    assert planned[True, True] is planned[False, True]
    assert planned[True, False] is planned[False, False]
    assert planned[True, True] is not planned[True, False]
    for d in (True, False):
        whole = planned[True, d]
        assert whole.branch_variables == ("p",)
        (cond,) = _conditions(whole.plan.to_dict())  # two Defer roots, one per value of $p
        ids = [x["id"] for side in ("ifClause", "elseClause") for x in cond[side]["deferred"]]
        assert len(ids) == len(set(ids)) == len(whole.defers)
        for p in (True, False):
            fixed = PIPELINE.plan(doc, op, {"p": p, "d": d})
            mine = _decide(whole.plan.to_dict()["node"], {"p": p})
            theirs = _decide(fixed.plan.to_dict()["node"], {"p": p})
            for part in (mine, theirs):
                for x in part["deferred"]:
                    x.pop("id")
                    x.pop("depends")
            assert mine == theirs


def _fetches(node: PlanNode | None) -> list[Fetch]:
    if node is None:
        return []
    if isinstance(node, Fetch):
        return [node]
    if isinstance(node, Flatten):
        return [node.node]
    if isinstance(node, Condition):
        return _fetches(node.if_clause) + _fetches(node.else_clause)
    return [f for n in getattr(node, "nodes", ()) for f in _fetches(n)]


def test_branch_fetch_ids_are_unique() -> None:
    doc, op = _parsed(QUERIES[2][1])
    fetches = _fetches(PRODUCTS.plan(doc, op, {}).plan.node)
    assert len(fetches) > 2
    assert len({f.id for f in fetches}) == len(fetches)


def test_fetch_carries_its_kind_renames_and_fills() -> None:
    doc, op = _parsed('mutation { t: say(text: "hi") { id reply } }')
    fetches = _fetches(PIPELINE.plan(doc, op, {}).plan.node)
    root = fetches[0]
    assert root.operation_kind == "mutation"
    assert [f.key for f in root.fills if f.client] == ["t"]
    entity = [f for f in fetches if f.requires is not None]
    assert entity and all(f.operation_kind == "query" for f in entity)
    reply = [f for f in entity if any(x.name == "reply" for x in f.fills)]
    assert reply and reply[0].requires_inputs == frozenset({("Turn", "action")})


def test_renames_are_a_typed_frozen_structure() -> None:
    # `... on A { v } ... on B { v }` with different types: B's `v` travels under an alias
    sel = SelNode()
    sel.fragment("A").add_field("v", "v", "", frozenset(), False, "Int")
    sel.fragment("B").add_field("v", "v", "", frozenset(), False, "String")
    assert assign_wire_keys(sel)
    rn = renames(sel)
    assert isinstance(rn, Renames)
    ((tname, sub),) = rn.fragments
    assert tname == "B" and sub.fields[0].key == "v" and sub.fields[0].wire != "v"
    with pytest.raises(AttributeError):
        sub.fields[0].key = "w"  # type: ignore[misc]
    assert rn.to_dict() == {"fragments": [["B", {"fields": [[sub.fields[0].wire, "v", None]]}]]}


CHAT_SDL = stream_subgraphs.supergraph("http://chat/graphql", "http://users/graphql")
CHAT = QueryPlanner(load_supergraph(CHAT_SDL))
SUBSCRIPTIONS = stream_subgraphs.CONDITIONAL_SUBSCRIPTIONS


@pytest.mark.parametrize("query", SUBSCRIPTIONS)
def test_a_subscription_branches_too(query: str) -> None:
    doc, op = _parsed(query)
    planned = CHAT.plan(doc, op, {})
    assert planned.branch_variables == ("p",)
    whole = planned.plan.to_dict()
    assert _conditions(whole)
    for p in (True, False):
        fixed = CHAT.plan(doc, op, {"p": p}).plan.to_dict()
        assert fixed["node"]["kind"] == "Subscription"
        assert _decide(whole["node"], {"p": p}) == _decide(fixed["node"], {"p": p})
