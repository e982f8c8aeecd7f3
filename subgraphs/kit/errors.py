"""Client-facing errors for subgraph resolvers: a message plus a machine-readable code."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


def user_error(message: str, code: str = "BAD_USER_INPUT", **extensions: Any) -> GraphQLError:
    """An error the client caused (bad input); raise it from a resolver."""
    return GraphQLError(message, extensions={"code": code, **extensions})


def overloaded(message: str) -> GraphQLError:
    """The model's queue is full; the client should retry later."""
    return GraphQLError(message, extensions={"code": "OVERLOADED"})
