"""EXTERNAL_UNUSED: an `@external` field that nothing uses.

Federation 2 only. An external field is there for a `@key`, a `@requires` or a
`@provides` (or to implement an interface field); otherwise it has no use and
is most likely a leftover. Federation 1 subgraphs get such fields removed by
the upgrade instead.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..merge import collect_field_usage
from ..types import CompositionError

CODE = "EXTERNAL_UNUSED"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        if not subgraph.is_fed2:
            continue
        _, used = collect_field_usage(subgraph)
        for t in subgraph.types.values():
            for f in t.fields.values():
                coordinate = f"{t.name}.{f.name}"
                if f.external and coordinate not in used:
                    errors.append(
                        CompositionError(
                            CODE,
                            f'[{subgraph.name}] Field "{coordinate}" is marked @external but is '
                            "not used in any federation directive (@key, @provides, @requires) "
                            "or to satisfy an interface; the field declaration has no use and "
                            "should be removed (or the field should not be @external).",
                            (subgraph.name,),
                            (coordinate,),
                        )
                    )
    return errors
