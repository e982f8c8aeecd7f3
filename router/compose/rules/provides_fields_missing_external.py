"""PROVIDES_FIELDS_MISSING_EXTERNAL: fields a `@provides` names must be `@external`.

`@provides` tells the planner that on this path the subgraph can also resolve
fields it normally cannot; a field it always resolves has nothing to provide.
Federation 2 only (Federation 1 subgraphs are upgraded: the non-external
fields are dropped from the selection). Leaves below an external field are
covered by it.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._fieldsets import selected, uses

CODE = "PROVIDES_FIELDS_MISSING_EXTERNAL"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        if not subgraph.is_fed2:
            continue
        for use in uses(subgraph, "provides"):
            fields = selected(use)
            if isinstance(fields, str):
                continue
            for s in fields:
                if not s.is_leaf or s.under_external or s.definition is None or s.external:
                    continue
                errors.append(
                    CompositionError(
                        CODE,
                        f'[{subgraph.name}] {use.where()}: field "{s.parent}.{s.name}" should '
                        "not be part of a @provides since it is already provided by this "
                        "subgraph (it is not marked @external)",
                        (subgraph.name,),
                        (use.coordinate(), f"{s.parent}.{s.name}"),
                    )
                )
    return errors
