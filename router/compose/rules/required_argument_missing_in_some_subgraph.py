"""REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH: a required argument not all subgraphs know.

Arguments merge by intersection: an argument missing from one subgraph's
definition of the field is dropped from the supergraph. That is only allowed
for optional arguments; dropping a required one changes what the field means.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._text import subgraph_list

CODE = "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.fields:
        for arg, (missing, required) in facts.args_missing.items():
            if not required:
                continue
            coordinate = f"{facts.coordinate}({arg}:)"
            errors.append(
                CompositionError(
                    CODE,
                    f'Argument "{coordinate}" is required in some subgraphs but does not appear '
                    f"in all subgraphs: it is required in {subgraph_list(required)} but does not "
                    f"appear in {subgraph_list(missing)}",
                    tuple(required + missing),
                    (coordinate,),
                )
            )
    return errors
