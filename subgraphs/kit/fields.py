"""Ready-made GraphQL fields for served models: `modelStats`, and the admin reload mutation.

Every team gets the same fields with the same types and the same protection: the
reload mutation carries `@requiresScopes(scopes: [["models:write"]])`, which the
router enforces (a request without a token holding that scope gets null and an
UNAUTHORIZED_FIELD_OR_TYPE error, also when the router has no JWT configured).
Subgraphs are internal: whoever can reach one directly is trusted.
"""

from __future__ import annotations

from typing import Any

import strawberry

from models.monitoring import MONITOR
from subgraphs.kit.artifacts import ModelUnavailable, UnknownModelVersion
from subgraphs.kit.errors import user_error
from subgraphs.kit.served_model import ServedModel
from subgraphs.kit.types import ModelRef, ModelStats

ADMIN_SCOPE = "models:write"
"""The scope a token needs for admin operations on served models."""

STATS_DESCRIPTION = (
    "Per version of model `name`: requests, latency percentiles, mean confidence and "
    "fallback rate over the recent window, to compare a candidate with production. "
    "Empty when the model answered nothing within the window."
)


def model_stats(name: str) -> list[ModelStats]:
    """The `ModelStats` of every version of `name` seen within the window, by version."""
    return [ModelStats.of(s) for s in MONITOR.stats(name)]


def model_stats_field(*, default: str | None = None, description: str | None = None) -> Any:
    """A `(name: String!) -> [ModelStats!]!` field; `default` makes `name` optional."""
    if default is None:

        def required(name: str) -> list[ModelStats]:
            return model_stats(name)

        resolver = required
    else:

        def optional(name: str = default) -> list[ModelStats]:
            return model_stats(name)

        resolver = optional
    return strawberry.field(resolver=resolver, description=description or STATS_DESCRIPTION)


def reload_mutation(served: ServedModel[Any, Any, Any], *, description: str | None = None) -> Any:
    """An admin mutation `(version: String) -> ModelRef!` that switches `served`'s version.

    Without `version` it serves the registry's production version again. Unknown
    versions answer UNKNOWN_MODEL_VERSION; the serving version stays.
    """

    async def reload(version: str | None = None) -> ModelRef:
        try:
            return await served.reload(version)
        except UnknownModelVersion as exc:
            raise user_error(str(exc), code="UNKNOWN_MODEL_VERSION") from exc
        except ModelUnavailable as exc:
            raise user_error(str(exc), code="MODEL_UNAVAILABLE") from exc

    return strawberry.federation.mutation(
        resolver=reload,
        description=description
        or f"Serve another registered version of model {served.name!r} (the production one "
        "when omitted), without downtime; needs the models:write scope.",
        requires_scopes=[[ADMIN_SCOPE]],
    )
