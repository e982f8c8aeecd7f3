"""KEY_INVALID_FIELDS: a `@key` selects fields its type does not have in that subgraph.

Key fields must be defined in the subgraph declaring the key (possibly
`@external`, which then means "the key of an entity this subgraph only
references"). Selections on abstract types must use existing fields too.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._fieldsets import unknown_field_errors, uses

CODE = "KEY_INVALID_FIELDS"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for use in uses(subgraph, "key"):
            errors.extend(unknown_field_errors(CODE, use, parent_must_exist=True))
    return errors
