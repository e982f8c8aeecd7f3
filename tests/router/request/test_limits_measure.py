"""`router.request.limits.measure` on its own: Apollo's counting rules for operation limits."""

from __future__ import annotations

from graphql import OperationDefinitionNode, parse

from router.request.limits.measure import fragments_of, measure_operation


def _measure(query: str, cap: int | None = None):  # type: ignore[no-untyped-def]
    doc = parse(query)
    op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    return measure_operation(op, fragments_of(doc), cap)


def test_measure_follows_apollo_counting_rules() -> None:
    m = _measure("{ user { id name username: name } }")
    assert (m.depth, m.height, m.aliases, m.root_fields) == (2, 4, 1, 1)
    m = _measure("{ a: user { id } b: user { id } user { id } }")
    assert (m.root_fields, m.height, m.aliases) == (3, 6, 2)
    # fields merge within one selection set only
    m = _measure("{ user { id } user { name } }")
    assert (m.height, m.repeated_fields) == (3, 2)


def test_measure_counts_a_reused_fragment_at_each_place() -> None:
    q = "{ p { ...F r { ...F } } } fragment F on P { x: id name }"
    m = _measure(q)
    assert m.depth == 3
    assert m.height == 1 + 2 + 1 + 2  # p, {x, name}, r, {x, name}
    assert m.aliases == 2


def test_measure_survives_cycles_and_unknown_fragments() -> None:
    m = _measure(
        "{ p { ...A ...Z } } fragment A on P { q { ...B } } fragment B on P { q { ...A } }"
    )
    assert m.depth >= 2 and not m.truncated


def test_measure_stops_early_on_a_fragment_bomb() -> None:
    frags = " ".join(
        f"fragment F{i} on P {{ a {{ ...F{i + 1} }} b {{ ...F{i + 1} }} }}" for i in range(30)
    )
    m = _measure("{ ...F0 } " + frags + " fragment F30 on P { id }", cap=500)
    assert m.truncated and m.height == 501
