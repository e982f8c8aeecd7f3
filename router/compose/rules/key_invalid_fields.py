"""KEY_INVALID_FIELDS: a `@key` selects fields its type does not have in that subgraph.

Key fields must be defined in the subgraph declaring the key (possibly
`@external`, which then means "the key of an entity this subgraph only
references"). Selections on abstract types must use existing fields too.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._fieldsets import selected, unknown_field_message, uses

CODE = "KEY_INVALID_FIELDS"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for use in uses(subgraph, "key"):
            fields = selected(use)
            problems = (
                [fields]
                if isinstance(fields, str)
                else [
                    unknown_field_message(s)
                    for s in fields
                    if s.definition is None
                    and s.name != "__typename"
                    and subgraph.types.get(s.parent, None) is not None
                    and subgraph.types[s.parent].kind not in ("union",)
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
