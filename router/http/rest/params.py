"""Path and query parameters (strings) read as the GraphQL variables they feed.

`Int`, `Float` and `Boolean` are parsed from their text; enums, `String`, `ID`
and other scalars pass as strings (GraphQL checks them next); a list variable
takes the parameter repeated (`?status=OPEN&status=FRAUD`); an input object
takes JSON. What cannot be read is a `ParamError` (400), what is read but does
not fit the type is left to GraphQL's variable coercion (422).
"""

from __future__ import annotations

from typing import Any

import orjson
from graphql import (
    GraphQLBoolean,
    GraphQLFloat,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
)

__all__ = ["ParamError", "read_param"]

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class ParamError(ValueError):
    """A parameter's text cannot be read as its variable's type."""


def read_param(name: str, values: list[str], type_: GraphQLInputType) -> Any:
    """The variable value of parameter `name` given (possibly repeated) as `values`."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return [read_param(name, [v], type_.of_type) for v in values]
    if len(values) > 1:
        raise ParamError(f"parameter '{name}' is given {len(values)} times; it takes one value")
    text = values[0]
    if type_ is GraphQLInt:
        try:
            return int(text)
        except ValueError:
            raise ParamError(f"parameter '{name}' must be an integer, got {text!r}") from None
    if type_ is GraphQLFloat:
        try:
            return float(text)
        except ValueError:
            raise ParamError(f"parameter '{name}' must be a number, got {text!r}") from None
    if type_ is GraphQLBoolean:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ParamError(f"parameter '{name}' must be true or false, got {text!r}")
    if isinstance(type_, GraphQLInputObjectType):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            raise ParamError(f"parameter '{name}' must be a JSON object") from None
    return text
