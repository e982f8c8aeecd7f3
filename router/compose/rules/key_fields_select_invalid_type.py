"""KEY_FIELDS_SELECT_INVALID_TYPE: a key may not select fields of interface or union type.

An abstract value in a representation would need its `__typename` to be
matched, which keys do not carry. Lists are allowed (Apollo accepts keys such
as `products { id }`).
"""

from __future__ import annotations

from ..context import CompositionContext
from ..model import named_type
from ..types import CompositionError
from ._fieldsets import selected, uses

CODE = "KEY_FIELDS_SELECT_INVALID_TYPE"

_KIND_NAMES = {"interface": "an Interface", "union": "a Union"}


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        for use in uses(subgraph, "key"):
            fields = selected(use)
            if isinstance(fields, str):
                continue
            for s in fields:
                if s.definition is None:
                    continue
                target = subgraph.types.get(named_type(s.definition.type))
                problem = None
                if target is not None and target.kind in _KIND_NAMES:
                    problem = _KIND_NAMES[target.kind]
                if problem:
                    errors.append(
                        CompositionError(
                            CODE,
                            f'[{subgraph.name}] {use.where()}: field "{s.parent}.{s.name}" is '
                            f"{problem} type which is not allowed in @key",
                            (subgraph.name,),
                            (f"{s.parent}.{s.name}",),
                        )
                    )
    return errors
