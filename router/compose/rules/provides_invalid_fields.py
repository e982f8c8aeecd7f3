"""PROVIDES_INVALID_FIELDS: a `@provides` selects fields the returned type does not have."""

from __future__ import annotations

from ..context import CompositionContext
from ..model import named_type
from ..types import CompositionError
from ._fieldsets import selected, unknown_field_message, uses

CODE = "PROVIDES_INVALID_FIELDS"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for use in uses(subgraph, "provides"):
            assert use.field is not None
            if named_type(use.field.type) not in subgraph.types:
                continue
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
