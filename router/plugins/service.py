"""The request stage as a service a plugin can wrap: `GraphQLService` and its answer.

It lives below the stages so a plugin can wrap the service
(`Plugin.graphql_service`) without importing the request stage, as it wraps a
subgraph's transport (`transport.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["GraphQLResponse", "GraphQLService"]


@dataclass(slots=True)
class GraphQLResponse:
    """The request stage's answer: an HTTP status and a GraphQL response body."""

    status: int
    body: dict[str, Any]
    #: query / mutation once the operation is known (metrics label)
    operation_type: str | None = None


class GraphQLService(Protocol):
    """Answers one JSON operation (a query or a mutation; a streamed answer does not
    pass it): parse, validate, plan, execute."""

    def __call__(
        self,
        query: str | None,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        *,
        allow_mutation: bool = True,
    ) -> Awaitable[GraphQLResponse]: ...
