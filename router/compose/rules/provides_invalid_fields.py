"""PROVIDES_INVALID_FIELDS: a `@provides` selects fields the returned type does not have."""

from __future__ import annotations

from ..context import CompositionContext
from ..model import named_type
from ..types import CompositionError
from ._fieldsets import unknown_field_errors, uses

CODE = "PROVIDES_INVALID_FIELDS"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for use in uses(subgraph, "provides"):
            assert use.field is not None
            if named_type(use.field.type) not in subgraph.types:
                continue
            errors.extend(unknown_field_errors(CODE, use))
    return errors
