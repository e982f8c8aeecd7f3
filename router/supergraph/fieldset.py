"""Parse `join__FieldSet` strings (keys, requires, provides) into selection sets."""

from __future__ import annotations

from functools import lru_cache

from graphql import OperationDefinitionNode, SelectionSetNode, parse

__all__ = ["parse_field_set"]


@lru_cache(maxsize=4096)
def parse_field_set(text: str) -> SelectionSetNode:
    """Return the selection set of `{ <text> }`, parsed without locations."""
    doc = parse("{" + text + "}", no_location=True)
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    return op.selection_set
