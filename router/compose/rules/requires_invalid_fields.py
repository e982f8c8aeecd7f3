"""REQUIRES_INVALID_FIELDS: a `@requires` selects fields its type does not have.

Required fields are fetched from other subgraphs, but they must still be
declared (as `@external`) in the requiring subgraph, so that it knows their
types and what it receives.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._fieldsets import unknown_field_errors, uses

CODE = "REQUIRES_INVALID_FIELDS"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for use in uses(subgraph, "requires"):
            errors.extend(unknown_field_errors(CODE, use))
    return errors
