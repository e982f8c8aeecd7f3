"""The router's fast variable check never admits a value graphql-core would reject."""

from __future__ import annotations

from typing import Any

from graphql import OperationDefinitionNode, build_schema, parse
from graphql.execution.values import get_variable_values
from hypothesis import given, settings
from hypothesis import strategies as st

from router.request.variables import variable_check

SCHEMA = build_schema("type Query { f(s: String, i: ID, n: Int, x: Float, b: Boolean): Int }")
SCALARS = ["String", "ID", "Int", "Float", "Boolean"]
DEFAULTS = {"String": '"d"', "ID": '"d"', "Int": "1", "Float": "1.5", "Boolean": "true"}

EDGES = [2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 1.0, 1.5, float("inf"), float("nan"), "", "7"]
values = st.one_of(
    st.sampled_from(EDGES),
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
definitions = st.lists(
    st.tuples(st.sampled_from(SCALARS), st.booleans(), st.booleans()), min_size=1, max_size=4
)


def _operation(defs: list[tuple[str, bool, bool]]) -> OperationDefinitionNode:
    parts = []
    for i, (scalar, non_null, default) in enumerate(defs):
        t = scalar + ("!" if non_null else "")
        parts.append(f"$v{i}: {t}" + (f" = {DEFAULTS[scalar]}" if default else ""))
    op = parse(f"query Q({', '.join(parts)}) {{ __typename }}").definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    return op


@settings(max_examples=400, deadline=None)
@given(defs=definitions, data=st.data())
def test_the_fast_check_agrees_with_graphql_core(
    defs: list[tuple[str, bool, bool]], data: st.DataObject
) -> None:
    op = _operation(defs)
    given_values: dict[str, Any] = {}
    for i in range(len(defs)):
        if data.draw(st.booleans(), label=f"v{i} present"):
            given_values[f"v{i}"] = data.draw(values, label=f"v{i}")
    coerced = get_variable_values(SCHEMA, op.variable_definitions, dict(given_values))
    check = variable_check(op)
    if check is not None and check.valid(given_values):
        assert not isinstance(coerced, list), coerced  # admitted only what graphql-core accepts


def test_every_scalar_against_every_edge_value() -> None:
    grid = [*EDGES, None, True, False, 0, -1, "x", 2**53, -1e300, [1], {"a": 1}]
    for scalar in SCALARS:
        for non_null in (False, True):
            op = _operation([(scalar, non_null, False)])
            check = variable_check(op)
            assert check is not None
            for value in grid:
                coerced = get_variable_values(SCHEMA, op.variable_definitions, {"v0": value})
                rejected = isinstance(coerced, list)
                assert not (check.valid({"v0": value}) and rejected), (scalar, non_null, value)


def test_ordinary_values_take_the_fast_path() -> None:
    op = _operation([("String", True, False), ("ID", True, False), ("Int", False, True)])
    check = variable_check(op)
    assert check is not None
    assert check.valid({"v0": "a", "v1": 7})
    assert check.valid({"v0": "a", "v1": "7", "v2": None})
    assert not check.valid({"v0": "a"})  # v1 is required: graphql-core writes the error
    assert not check.valid({"v0": 1, "v1": "7"})
    assert not check.valid({"v0": "a", "v1": True})


def test_other_types_are_left_to_graphql_core() -> None:
    for t in ("[String]", "MyInput", "MyEnum", 'String! = "x"'):
        op = parse(f"query Q($v: {t}) {{ __typename }}").definitions[0]
        assert isinstance(op, OperationDefinitionNode)
        assert variable_check(op) is None, t
