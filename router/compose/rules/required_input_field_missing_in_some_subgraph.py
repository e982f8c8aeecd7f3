"""REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH: a non-null input field not all subgraphs know.

Input objects merge by intersection, so a field only some subgraphs define is
dropped; a required one cannot be.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._text import subgraph_list

CODE = "REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.input_fields:
        if not facts.missing_in:
            continue
        required = [s.name for s, v in facts.sources if v.type.endswith("!") and v.default is None]
        if not required:
            continue
        coordinate = f"{facts.parent}.{facts.name}"
        errors.append(
            CompositionError(
                CODE,
                f'Input object field "{coordinate}" is required in some subgraphs but does not '
                f"appear in all subgraphs: it is required in {subgraph_list(required)} but does "
                f"not appear in {subgraph_list(facts.missing_in)}",
                tuple(required + facts.missing_in),
                (coordinate,),
            )
        )
    return errors
