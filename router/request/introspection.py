"""Production mode: introspection off (`__typename` stays allowed), suggestions hidden."""

from __future__ import annotations

import re
from typing import Any

from graphql import DocumentNode, FieldNode, GraphQLSchema, MaxIntrospectionDepthRule, validate

from router.errors import ErrorCode, graphql_error

__all__ = ["hide_suggestions", "introspection_depth_errors", "introspection_errors"]

_INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def introspection_errors(doc: DocumentNode) -> list[dict[str, Any]]:
    """One error when `__schema` or `__type` is selected anywhere in `doc`."""
    stack: list[Any] = list(doc.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode) and node.name.value in _INTROSPECTION_ROOTS:
            return [
                graphql_error(
                    "GraphQL introspection is not allowed, but the query contained "
                    "__schema or __type",
                    None,
                    ErrorCode.INTROSPECTION_DISABLED,
                )
            ]
        ss = getattr(node, "selection_set", None)
        if ss is not None:
            stack.extend(ss.selections)
    return []


def introspection_depth_errors(schema: GraphQLSchema, doc: DocumentNode) -> list[dict[str, Any]]:
    """graphql-js's MaxIntrospectionDepthRule: list fields of introspection nested > 3 deep."""
    errors = validate(schema, doc, rules=[MaxIntrospectionDepthRule])
    return [graphql_error(e.message, None, ErrorCode.GRAPHQL_VALIDATION_FAILED) for e in errors]


def hide_suggestions(errors: tuple[dict[str, Any], ...]) -> tuple[dict[str, Any], ...]:
    """Drop "Did you mean ...?" from messages: suggestions leak the schema."""
    out = []
    for e in errors:
        msg = e.get("message")
        if isinstance(msg, str) and "Did you mean" in msg:
            e = {**e, "message": _SUGGESTION.sub("", msg)}
        out.append(e)
    return tuple(out)
