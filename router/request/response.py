"""The request stage's answer: an HTTP status and a GraphQL response body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["GraphQLResponse"]


@dataclass(slots=True)
class GraphQLResponse:
    status: int
    body: dict[str, Any]
    #: query / mutation once the operation is known (metrics label)
    operation_type: str | None = None
