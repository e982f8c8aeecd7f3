"""The subgraph kit: turn a strawberry federation schema, and the models behind it, into a subgraph.

Everything a team uses is importable from here (see docs/kit.md):

- `create_app(schema, name=, models=, context=, on_startup=, on_shutdown=)`: the ASGI app
  (`/graphql`, `/health`, `/ready`, `/metrics`, tracing, graceful shutdown).
- `ServedModel(name, load=, predict=, ...)`: a registry model served batched and versioned;
  `await served(item)` returns a `Prediction(output, model)`. `Artifact` is what `load`
  gets, `Outcome` what an optional `outcome` function returns for `modelStats`.
- `ModelRef`, `ModelStats`: shared GraphQL types; `model_stats_field`, `model_stats`,
  `reload_mutation` and `ADMIN_SCOPE`: ready-made fields.
- `user_error`, `overloaded`, `ModelNotReady`, `ModelOverloaded`, `ModelUnavailable`,
  `UnknownModelVersion`: errors; `Readiness`: what `/ready` reports.
"""

from subgraphs.kit.app import create_app
from subgraphs.kit.artifacts import Artifact, ModelUnavailable, UnknownModelVersion
from subgraphs.kit.errors import ModelNotReady, ModelOverloaded, overloaded, user_error
from subgraphs.kit.fields import ADMIN_SCOPE, model_stats, model_stats_field, reload_mutation
from subgraphs.kit.readiness import Readiness
from subgraphs.kit.served_model import Outcome, Prediction, ServedModel
from subgraphs.kit.types import ModelRef, ModelStats

__all__ = [
    "ADMIN_SCOPE",
    "Artifact",
    "ModelNotReady",
    "ModelOverloaded",
    "ModelRef",
    "ModelStats",
    "ModelUnavailable",
    "Outcome",
    "Prediction",
    "Readiness",
    "ServedModel",
    "UnknownModelVersion",
    "create_app",
    "model_stats",
    "model_stats_field",
    "overloaded",
    "reload_mutation",
    "user_error",
]
