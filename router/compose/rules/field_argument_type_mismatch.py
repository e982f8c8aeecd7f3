"""FIELD_ARGUMENT_TYPE_MISMATCH: an argument's types in different subgraphs are incompatible.

Arguments are input positions: `Int` and `Int!` merge to `Int!`, but
different named types never merge.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "FIELD_ARGUMENT_TYPE_MISMATCH"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.fields:
        for arg in facts.arg_type_conflicts:
            coordinate = f"{facts.coordinate}({arg}:)"
            parts = [
                f'type "{src.field.args[arg].type}" in "{src.subgraph.name}"'
                for src in facts.resolving
                if arg in src.field.args
            ]
            errors.append(
                CompositionError(
                    CODE,
                    f'Type of argument "{coordinate}" is incompatible across subgraphs: it has '
                    + " but ".join(parts),
                    tuple(src.subgraph.name for src in facts.resolving),
                    (coordinate,),
                )
            )
    return errors
