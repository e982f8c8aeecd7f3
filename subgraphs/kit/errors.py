"""Client-facing errors for subgraph resolvers: a message plus a machine-readable code."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from models.batching import Overloaded


def user_error(message: str, code: str = "BAD_USER_INPUT", **extensions: Any) -> GraphQLError:
    """An error the client caused (bad input); raise it from a resolver."""
    return GraphQLError(message, extensions={"code": code, **extensions})


class ModelOverloaded(GraphQLError, Overloaded):
    """The model's queue is full; the client should retry later (code OVERLOADED).

    Also a `models.batching.Overloaded`, so code that degrades on overload (a
    template instead of a generated reply) catches it as before.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": "OVERLOADED"})


class ModelNotReady(GraphQLError):
    """The model is still loading, or no version could be loaded (code MODEL_NOT_READY)."""

    def __init__(self, name: str, reason: str | None = None) -> None:
        detail = f": {reason}" if reason else " (see /ready)"
        super().__init__(
            f"model {name!r} is not loaded yet{detail}", extensions={"code": "MODEL_NOT_READY"}
        )


def overloaded(message: str) -> GraphQLError:
    """The model's queue is full; the client should retry later."""
    return ModelOverloaded(message)
