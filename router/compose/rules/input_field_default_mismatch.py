"""INPUT_FIELD_DEFAULT_MISMATCH: an input field with different defaults in different subgraphs."""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "INPUT_FIELD_DEFAULT_MISMATCH"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.input_fields:
        if not facts.default_conflict:
            continue
        coordinate = f"{facts.parent}.{facts.name}"
        parts = [f'default value {v.default} in "{s.name}"' for s, v in facts.sources if v.default]
        errors.append(
            CompositionError(
                CODE,
                f'Input field "{coordinate}" has incompatible default values across subgraphs: '
                "it has " + " but ".join(parts),
                tuple(s.name for s, _ in facts.sources),
                (coordinate,),
            )
        )
    return errors
