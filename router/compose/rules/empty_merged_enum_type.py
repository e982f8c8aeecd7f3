"""EMPTY_MERGED_ENUM_TYPE: an input-only enum whose subgraphs share no value."""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "EMPTY_MERGED_ENUM_TYPE"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for t in ctx.supergraph.types.values():
        if t.kind == "enum" and not t.values:
            errors.append(
                CompositionError(
                    CODE,
                    f'None of the values of enum type "{t.name}" are defined consistently in all '
                    "the subgraphs defining that type. As only values common to all subgraphs "
                    "are merged, this would result in an empty type.",
                    tuple(
                        g.name
                        for g in ctx.supergraph.graphs
                        if any(j.graph == g.enum for j in t.joins)
                    ),
                    (t.name,),
                )
            )
    return errors
