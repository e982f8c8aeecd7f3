"""Variable values checked without graphql-core when every variable is a built-in scalar.

`get_variable_values` builds a coercion of every value on each request (3 % of
the router's CPU on a small federated query). The router forwards the raw
values to subgraphs and only needs to know they are valid, so an operation
whose variables are all `String`/`ID`/`Int`/`Float`/`Boolean` (nullable or
not) gets a precomputed check. It answers "valid" only for values graphql-core
accepts too; anything else (a wrong type, a missing value, an input object,
a list, an enum or a custom scalar) goes through graphql-core, which writes
the error.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from graphql import NamedTypeNode, NonNullTypeNode, OperationDefinitionNode

__all__ = ["VariableCheck", "variable_check"]

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _string(v: Any) -> bool:
    return type(v) is str


def _id(v: Any) -> bool:
    return type(v) is str or (type(v) is int and _INT_MIN <= v <= _INT_MAX)


def _int(v: Any) -> bool:
    return type(v) is int and _INT_MIN <= v <= _INT_MAX


def _float(v: Any) -> bool:
    return (type(v) is int and _INT_MIN <= v <= _INT_MAX) or (type(v) is float and math.isfinite(v))


def _boolean(v: Any) -> bool:
    return type(v) is bool


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "String": _string,
    "ID": _id,
    "Int": _int,
    "Float": _float,
    "Boolean": _boolean,
}


class VariableCheck:
    """`valid(values)`: True only if graphql-core would coerce `values` without an error."""

    __slots__ = ("_checks",)

    def __init__(self, checks: tuple[tuple[str, bool, Callable[[Any], bool]], ...]) -> None:
        #: (name, non-null, value check)
        self._checks = checks

    def valid(self, values: Mapping[str, Any]) -> bool:
        for name, required, check in self._checks:
            v = values.get(name)
            if v is None:  # absent or null: fine unless the type is non-null
                if required:
                    return False
                continue
            if not check(v):
                return False
        return True


def variable_check(op: OperationDefinitionNode) -> VariableCheck | None:
    """A fast check for `op`'s variables, or None when graphql-core must do it."""
    checks: list[tuple[str, bool, Callable[[Any], bool]]] = []
    for vd in op.variable_definitions or ():
        t = vd.type
        non_null = isinstance(t, NonNullTypeNode)
        named = t.type if isinstance(t, NonNullTypeNode) else t
        if not isinstance(named, NamedTypeNode) or named.name.value not in _CHECKS:
            return None
        if non_null and vd.default_value is not None:
            return None  # an explicit null is an error there, an absent value is not: leave it
        checks.append((vd.variable.name.value, non_null, _CHECKS[named.name.value]))
    return VariableCheck(tuple(checks))
