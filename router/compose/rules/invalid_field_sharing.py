"""INVALID_FIELD_SHARING: a field resolved by several subgraphs without `@shareable` in all.

Federation 2 assumes one subgraph resolves each field, so that the planner may
pick any of them only when all promise to return the same data. A field is
shareable when it, or the type definition/extension block that declares it,
has `@shareable`, or when it is part of a `@key` of its type in that subgraph.
Not counted: definitions overridden with `@override`, and `@external`
declarations, except those a `@provides` of their subgraph selects: on that
path the subgraph does resolve the field, so the owning subgraph's definition
must be `@shareable` (Apollo's rule; the peer does not check it).
Federation 1 subgraphs count as shareable (the upgrade marks
them). Interface fields are not checked (interfaces are not resolved).
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError
from ._text import subgraph_list

CODE = "INVALID_FIELD_SHARING"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.fields:
        if facts.parent_kind != "object":
            continue
        resolving = [
            src for src in facts.resolving if src.subgraph.name not in facts.used_overridden
        ]
        provided = [
            src
            for src in facts.sources
            if src.external and facts.coordinate in ctx.facts.provided_fields[src.subgraph.name]
        ]
        if len(resolving) + len(provided) < 2 or not resolving:
            continue
        unshared = [src.subgraph.name for src in resolving if not src.shareable]
        if facts.parent == "Subscription":
            unshared = [src.subgraph.name for src in resolving]
        if not unshared:
            continue
        everywhere = sorted(src.subgraph.name for src in resolving + provided)
        where = "all of them" if len(unshared) == len(everywhere) else subgraph_list(unshared)
        errors.append(
            CompositionError(
                CODE,
                f'Non-shareable field "{facts.coordinate}" is resolved from multiple subgraphs: '
                f"it is resolved from {subgraph_list(everywhere)} and defined as non-shareable "
                f"in {where}",
                tuple(everywhere),
                (facts.coordinate,),
            )
        )
    return errors
