"""UNKNOWN_FEDERATION_LINK_VERSION: the subgraph links a federation version we do not know.

Known versions are v2.0 to v2.12 (strawberry emits v2.11). A newer version may
define directives whose meaning composition would silently get wrong.
"""

from __future__ import annotations

from ..context import CompositionContext
from ..types import CompositionError

CODE = "UNKNOWN_FEDERATION_LINK_VERSION"
LATEST = (2, 12)


def check(ctx: CompositionContext) -> list[CompositionError]:
    errors: list[CompositionError] = []
    for subgraph in ctx.subgraphs:
        version = subgraph.federation_version
        if version is not None and (version[0] != 2 or version > LATEST):
            errors.append(
                CompositionError(
                    CODE,
                    f"[{subgraph.name}] Invalid version v{version[0]}.{version[1]} for the "
                    "federation feature in @link directive on schema",
                    (subgraph.name,),
                )
            )
    return errors
