"""EXTERNAL_TYPE_MISMATCH: an `@external` declaration disagrees with the field's real type.

External declarations do not take part in merging the field type (a typo in
one must not change the supergraph); they must equal the merged type, or be a
strict subtype of it when the resolving subgraphs themselves disagree.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..typeref import is_strict_subtype
from ..types import CompositionError
from ._text import subgraph_list

CODE = "EXTERNAL_TYPE_MISMATCH"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    relations = {
        (i, t.name) for s in ctx.subgraphs for t in s.types.values() for i in t.interfaces
    } | {(t.name, m) for s in ctx.subgraphs for t in s.types.values() for m in t.members}

    def related(a: str, b: str) -> bool:
        return (a, b) in relations

    for facts in ctx.facts.fields:
        if not facts.resolving or not facts.types_compatible:
            continue
        merged = facts.merged.type
        bad = [
            src
            for src in facts.sources
            if src.external
            and not (
                src.field.type == merged
                or (
                    not facts.all_types_equal and is_strict_subtype(merged, src.field.type, related)
                )
            )
        ]
        if not bad:
            continue
        good = [src.subgraph.name for src in facts.resolving]
        errors.append(
            CompositionError(
                CODE,
                f'Type of field "{facts.coordinate}" is incompatible across subgraphs (where '
                f'marked @external): it has type "{merged}" in {subgraph_list(good)} but '
                + " and ".join(
                    f'type "{src.field.type}" in subgraph "{src.subgraph.name}"' for src in bad
                ),
                tuple(good + [src.subgraph.name for src in bad]),
                (facts.coordinate,),
            )
        )
    return errors
