"""OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE: `@override` on an `@external` field.

Overriding means "this subgraph resolves the field from now on", which an
external field by definition does not.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for t in subgraph.types.values():
            for f in t.fields.values():
                if f.override is not None and f.external:
                    errors.append(
                        CompositionError(
                            CODE,
                            f'@override cannot be used on field "{t.name}.{f.name}" on subgraph '
                            f'"{subgraph.name}" since "{t.name}.{f.name}" on "{subgraph.name}" is '
                            'marked with directive "@external"',
                            (subgraph.name,),
                            (f"{t.name}.{f.name}",),
                        )
                    )
    return errors
