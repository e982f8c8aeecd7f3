"""TYPE_KIND_MISMATCH: one type name, different kinds in different subgraphs.

An `@interfaceObject` type counts as an interface: it is how a subgraph
contributes to an interface entity without knowing its implementations.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "TYPE_KIND_MISMATCH"
_NAMES = {
    "object": "Object Type",
    "interface": "Interface Type",
    "union": "Union Type",
    "enum": "Enum Type",
    "input": "Input Object Type",
    "scalar": "Scalar Type",
}


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for name, kinds in ctx.facts.kinds.items():
        distinct = list(dict.fromkeys(kinds.values()))
        if len(distinct) < 2:
            continue
        parts = [
            f"{_NAMES[k]} in " + ", ".join(f'"{s}"' for s, sk in kinds.items() if sk == k)
            for k in distinct
        ]
        errors.append(
            CompositionError(
                CODE,
                f'Type "{name}" has mismatched kind: it is defined as ' + " but ".join(parts),
                tuple(kinds),
                (name,),
            )
        )
    return errors
