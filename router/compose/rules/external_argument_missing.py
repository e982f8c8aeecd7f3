"""EXTERNAL_ARGUMENT_MISSING: an `@external` declaration lacks an argument the field has.

The requiring or providing subgraph must see the field exactly as the
resolving subgraphs define it, arguments included.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "EXTERNAL_ARGUMENT_MISSING"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.fields:
        if not facts.resolving:
            continue
        for src in facts.sources:
            if not src.external:
                continue
            for arg in facts.merged.args:
                if arg in src.field.args:
                    continue
                coordinate = f"{facts.coordinate}({arg}:)"
                errors.append(
                    CompositionError(
                        CODE,
                        f'Field "{facts.coordinate}" is missing argument "{coordinate}" in some '
                        f'subgraphs where it is marked @external: argument "{coordinate}" is '
                        f'declared in some subgraphs but not in subgraph "{src.subgraph.name}" '
                        "(where field is marked @external).",
                        (src.subgraph.name,),
                        (coordinate,),
                    )
                )
    return errors
