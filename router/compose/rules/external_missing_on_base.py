"""EXTERNAL_MISSING_ON_BASE: a field is `@external` everywhere, so no subgraph resolves it."""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._text import subgraph_list

CODE = "EXTERNAL_MISSING_ON_BASE"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.fields:
        if facts.resolving or not all(src.external for src in facts.sources):
            continue
        names = [src.subgraph.name for src in facts.sources]
        errors.append(
            CompositionError(
                CODE,
                f'Field "{facts.coordinate}" is marked @external on all the subgraphs in which '
                f"it is listed ({subgraph_list(names)}).",
                tuple(names),
                (facts.coordinate,),
            )
        )
    return errors
