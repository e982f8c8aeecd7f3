"""FIELD_TYPE_MISMATCH: a field's types in different subgraphs have no common supertype.

Output fields may differ in nullability (`String` / `String!` merge to
`String`) or return an object in one subgraph and an interface or union it
belongs to in another; anything else is a mismatch. Input fields may differ
in nullability only, and merge to the most restrictive type.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "FIELD_TYPE_MISMATCH"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.fields:
        if facts.types_compatible:
            continue
        sources = facts.resolving or facts.sources
        by_type: dict[str, list[str]] = {}
        for src in sources:
            by_type.setdefault(src.field.type, []).append(src.subgraph.name)
        parts = [
            f'type "{t}" in ' + ", ".join(f'"{s}"' for s in subs) for t, subs in by_type.items()
        ]
        errors.append(
            CompositionError(
                CODE,
                f'Type of field "{facts.coordinate}" is incompatible across subgraphs: it has '
                + " but ".join(parts),
                tuple(src.subgraph.name for src in sources),
                (facts.coordinate,),
            )
        )
    for input_facts in ctx.facts.input_fields:
        if input_facts.types_compatible:
            continue
        coordinate = f"{input_facts.parent}.{input_facts.name}"
        parts = [f'type "{v.type}" in "{s.name}"' for s, v in input_facts.sources]
        errors.append(
            CompositionError(
                CODE,
                f'Type of field "{coordinate}" is incompatible across subgraphs: it has '
                + " but ".join(parts),
                tuple(s.name for s, _ in input_facts.sources),
                (coordinate,),
            )
        )
    return errors
