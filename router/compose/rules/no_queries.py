"""NO_QUERIES: no subgraph defines a (non-federation) query field, so nothing can be asked."""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "NO_QUERIES"


def check(ctx: CompositionContext) -> list[CompositionError]:
    query = ctx.supergraph.types.get("Query")
    if query is not None and query.fields:
        return []
    return [
        CompositionError(
            CODE, "No queries found in any subgraph: a supergraph must have a query root type."
        )
    ]
