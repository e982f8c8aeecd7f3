"""Router settings (a pydantic model; unknown keys are an error)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RouterSettings"]


class RouterSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dev: bool = Field(
        default=False,
        description="Development mode: honours `Chorus-Expose-Query-Plan: true` "
        "(the plan is returned under `extensions.queryPlan`).",
    )
    subgraph_timeout_s: float = Field(
        default=30.0, gt=0, description="Per-request subgraph timeout."
    )
    max_connections_per_subgraph: int = Field(
        default=100, gt=0, description="Keep-alive pool size of each subgraph client."
    )
    plan_cache_size: int = Field(default=1024, gt=0, description="Plans kept per supergraph.")
    document_cache_size: int = Field(
        default=1024, gt=0, description="Parsed and validated documents kept per supergraph."
    )
    graphiql: bool = Field(default=True, description="Serve GraphiQL on GET /graphql to browsers.")
    graphiql_default_query: str | None = Field(
        default=None, description="The operation GraphiQL opens with (e.g. a pipeline mutation)."
    )
    max_query_bytes: int = Field(
        default=1_000_000, gt=0, description="Largest accepted query text."
    )
