"""REQUIRES_FIELDS_MISSING_EXTERNAL: fields a `@requires` names must be `@external`.

Federation 2 only (Federation 1 subgraphs are upgraded instead). A leaf must
be `@external` unless some field above it in the selection is: the fields of
an external field's (usually shareable value) type are covered by it, while a
local field may be traversed to reach external fields below it.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._fieldsets import selected, uses

CODE = "REQUIRES_FIELDS_MISSING_EXTERNAL"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        if not subgraph.is_fed2:
            continue
        for use in uses(subgraph, "requires"):
            fields = selected(use)
            if isinstance(fields, str):
                continue
            for s in fields:
                if (
                    s.is_leaf
                    and not s.under_external
                    and s.definition is not None
                    and not s.external
                ):
                    owner = subgraph.types.get(s.parent)
                    if owner is not None and owner.interface_object:
                        continue
                    errors.append(
                        CompositionError(
                            CODE,
                            f'[{subgraph.name}] {use.where()}: field "{s.parent}.{s.name}" '
                            "should not be part of a @requires since it is already provided by "
                            "this subgraph (it is not marked @external)",
                            (subgraph.name,),
                            (use.coordinate(), f"{s.parent}.{s.name}"),
                        )
                    )
    return errors
