"""PROVIDES_ON_NON_OBJECT_FIELD: `@provides` only makes sense on fields of composite type."""

from __future__ import annotations

from ..context import CompositionContext
from ..model import named_type
from ..types import CompositionError
from ._fieldsets import uses

CODE = "PROVIDES_ON_NON_OBJECT_FIELD"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for use in uses(subgraph, "provides"):
            assert use.field is not None
            target = subgraph.types.get(named_type(use.field.type))
            if target is None or target.kind not in ("object", "interface", "union"):
                errors.append(
                    CompositionError(
                        CODE,
                        f"[{subgraph.name}] Invalid @provides directive on field "
                        f'"{use.coordinate()}": field has type "{use.field.type}" which is not '
                        "a Composite Type",
                        (subgraph.name,),
                        (use.coordinate(),),
                    )
                )
    return errors
