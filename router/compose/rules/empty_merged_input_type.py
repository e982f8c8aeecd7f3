"""EMPTY_MERGED_INPUT_TYPE: no field of an input type is defined in every subgraph declaring it."""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "EMPTY_MERGED_INPUT_TYPE"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for t in ctx.supergraph.types.values():
        if t.kind == "input" and not t.input_fields:
            errors.append(
                CompositionError(
                    CODE,
                    f'None of the fields of input object type "{t.name}" are consistently '
                    "defined in all the subgraphs defining that type. As only fields common to "
                    "all subgraphs are merged, this would result in an empty type.",
                    tuple(
                        g.name
                        for g in ctx.supergraph.graphs
                        if any(j.graph == g.enum for j in t.joins)
                    ),
                    (t.name,),
                )
            )
    return errors
