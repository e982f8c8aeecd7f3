"""INTERFACE_OBJECT_USAGE_ERROR: an `@interfaceObject` needs an interface entity somewhere.

`@interfaceObject` stands in for an interface that some other subgraph defines
with `@key`; that subgraph is the one knowing the implementations, so without
it the router could never find out an object's concrete type.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "INTERFACE_OBJECT_USAGE_ERROR"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for t in ctx.supergraph.types.values():
        object_graphs = [j.graph for j in t.joins if j.interface_object]
        if not object_graphs:
            continue
        keyed_interface = [j for j in t.joins if not j.interface_object and j.key is not None]
        if keyed_interface:
            continue
        names = [g.name for g in ctx.supergraph.graphs if g.enum in object_graphs]
        errors.append(
            CompositionError(
                CODE,
                f'Type "{t.name}" is declared with @interfaceObject in all the subgraphs in '
                "which is is defined (it is defined in "
                + ", ".join(f'"{n}"' for n in names)
                + " but should be defined as an interface in at least one subgraph)",
                tuple(names),
                (t.name,),
            )
        )
    return errors
