"""ENUM_VALUE_MISMATCH: an enum used as both input and output has different values across subgraphs.

An output-only enum merges by union (a client must accept any value some
subgraph returns), an input-only enum by intersection (a client may only send
values every subgraph accepts); an enum in both positions therefore needs the
same values everywhere. A value marked `@inaccessible` does not count, since
clients never see it.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "ENUM_VALUE_MISMATCH"


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for facts in ctx.facts.enums:
        if facts.usage != "both":
            continue
        enum = ctx.supergraph.types.get(facts.name)
        for value, (having, lacking) in facts.partial_values.items():
            if enum is not None and value in enum.values and enum.values[value].inaccessible:
                continue
            errors.append(
                CompositionError(
                    CODE,
                    f'Enum type "{facts.name}" is used as both input type (for example, as type '
                    f'of "{facts.example_input}") and output type (for example, as type of '
                    f'"{facts.example_output}"), but value "{value}" is not defined in all the '
                    f'subgraphs defining "{facts.name}": "{value}" is defined in '
                    + ", ".join(f'"{s}"' for s in having)
                    + " but not in "
                    + ", ".join(f'"{s}"' for s in lacking),
                    tuple(having + lacking),
                    (f"{facts.name}.{value}",),
                )
            )
    return errors
