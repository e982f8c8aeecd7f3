"""KEY_FIELDS_HAS_ARGS: key fields cannot take arguments.

A representation carries field values only, so a field whose value depends on
arguments cannot be part of an entity's identity.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._fieldsets import selected, uses

CODE = "KEY_FIELDS_HAS_ARGS"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for use in uses(subgraph, "key"):
            fields = selected(use)
            if isinstance(fields, str):
                continue
            for s in fields:
                if s.definition is not None and s.definition.args:
                    errors.append(
                        CompositionError(
                            CODE,
                            f'[{subgraph.name}] {use.where()}: field "{s.parent}.{s.name}" '
                            "cannot be included because it has arguments (fields with "
                            "argument are not allowed in @key)",
                            (subgraph.name,),
                            (f"{s.parent}.{s.name}",),
                        )
                    )
    return errors
