"""REQUIRES_INVALID_FIELDS: a `@requires` selects fields its type does not have.

Required fields are fetched from other subgraphs, but they must still be
declared (as `@external`) in the requiring subgraph, so that it knows their
types and what it receives.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._fieldsets import selected, unknown_field_message, uses

CODE = "REQUIRES_INVALID_FIELDS"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for use in uses(subgraph, "requires"):
            fields = selected(use)
            problems = (
                [fields]
                if isinstance(fields, str)
                else [
                    unknown_field_message(s)
                    for s in fields
                    if s.definition is None
                    and s.name != "__typename"
                    and getattr(subgraph.types.get(s.parent), "kind", "") != "union"
                ]
            )
            for problem in problems:
                errors.append(
                    CompositionError(
                        CODE,
                        f"[{subgraph.name}] {use.where()}: {problem}",
                        (subgraph.name,),
                        (use.coordinate(),),
                    )
                )
    return errors
