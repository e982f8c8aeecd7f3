"""OVERRIDE_SOURCE_HAS_OVERRIDE: two subgraphs override the same field from each other."""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "OVERRIDE_SOURCE_HAS_OVERRIDE"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.fields:
        overriding = [src for src in facts.sources if src.field.override]
        names = {src.subgraph.name for src in overriding}
        circular = [src for src in overriding if src.field.override in names]
        if not circular:
            continue
        involved = sorted(src.subgraph.name for src in circular)
        errors.append(
            CompositionError(
                CODE,
                f'Field "{facts.coordinate}" on subgraph "{involved[0]}" is also marked with '
                f'directive @override in subgraph "{involved[-1]}". Only one @override directive '
                "is allowed per field.",
                tuple(involved),
                (facts.coordinate,),
            )
        )
    return errors
