"""OVERRIDE_FROM_SELF_ERROR: `@override(from:)` names the subgraph it is in."""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "OVERRIDE_FROM_SELF_ERROR"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for t in subgraph.types.values():
            for f in t.fields.values():
                if f.override == subgraph.name:
                    errors.append(
                        CompositionError(
                            CODE,
                            f'Source and destination subgraphs "{subgraph.name}" are the same '
                            f'for overridden field "{t.name}.{f.name}"',
                            (subgraph.name,),
                            (f"{t.name}.{f.name}",),
                        )
                    )
    return errors
