"""FIELD_ARGUMENT_DEFAULT_MISMATCH: an argument has different default values in different subgraphs.

A client cannot know which default applies, as the planner may send the field
to either subgraph. A default in some subgraphs and none in others is fine
(the default is kept).
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "FIELD_ARGUMENT_DEFAULT_MISMATCH"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.fields:
        for arg in facts.arg_default_conflicts:
            coordinate = f"{facts.coordinate}({arg}:)"
            parts = [
                f'default value {src.field.args[arg].default} in "{src.subgraph.name}"'
                for src in facts.resolving
                if arg in src.field.args and src.field.args[arg].default is not None
            ]
            errors.append(
                CompositionError(
                    CODE,
                    f'Argument "{coordinate}" has incompatible default values across '
                    "subgraphs: it has " + " but ".join(parts),
                    tuple(src.subgraph.name for src in facts.resolving),
                    (coordinate,),
                )
            )
    return errors
