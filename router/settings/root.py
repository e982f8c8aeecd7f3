"""Router settings (a pydantic model; unknown keys are an error)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from router.settings.auth import AuthSettings
from router.settings.limits import LimitsSettings
from router.settings.persisted import PersistedQuerySettings
from router.settings.plugins import PluginEntry
from router.settings.rest import RestSettings
from router.settings.security import SecuritySettings
from router.settings.traffic import TrafficSettings

__all__ = ["RouterSettings", "load_router_settings"]


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
    graphiql: bool | None = Field(
        default=None,
        description="Serve GraphiQL on GET /graphql to browsers. Default: in dev mode only.",
    )
    graphiql_default_query: str | None = Field(
        default=None, description="The operation GraphiQL opens with (e.g. a pipeline mutation)."
    )
    max_query_bytes: int = Field(
        default=1_000_000, gt=0, description="Largest accepted query text."
    )
    limits: LimitsSettings = Field(
        default_factory=LimitsSettings, description="Request and operation limits."
    )
    security: SecuritySettings = Field(
        default_factory=SecuritySettings,
        description="Introspection, suggestions, CSRF, CORS, subgraph error redaction.",
    )
    traffic: TrafficSettings = Field(
        default_factory=TrafficSettings,
        description="Router deadline, per-subgraph timeouts, retries, breakers, dedup, caps, "
        "rate limit, header propagation.",
    )
    auth: AuthSettings = Field(
        default_factory=AuthSettings, description="JWT authentication and authorization."
    )
    persisted_queries: PersistedQuerySettings = Field(
        default_factory=PersistedQuerySettings, description="APQ and the manifest safelist."
    )
    rest: RestSettings = Field(
        default_factory=RestSettings,
        description="REST endpoints backed by GraphQL operations, and their OpenAPI document.",
    )
    plugins: tuple[PluginEntry, ...] = Field(
        default=(),
        description="Your plugins (`module: pkg.mod`, `config: {...}`), after the built-ins, "
        "their hooks in this order (router/README.md: writing a plugin).",
    )

    @model_validator(mode="after")
    def _router_outlives_subgraphs(self) -> RouterSettings:
        t = self.traffic
        timeouts = [t.all.timeout_s or self.subgraph_timeout_s]
        timeouts += [o.timeout_s for o in t.subgraphs.values() if o.timeout_s is not None]
        if t.router_timeout_s <= max(timeouts):
            raise ValueError(
                f"traffic.router_timeout_s ({t.router_timeout_s:g}) must be longer than every "
                f"subgraph timeout (longest: {max(timeouts):g})"
            )
        return self

    # production mode: each of these follows `dev` unless set explicitly
    @property
    def graphiql_enabled(self) -> bool:
        return self.dev if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        s = self.security.introspection
        return self.dev if s is None else s

    @property
    def suggestions_enabled(self) -> bool:
        s = self.security.field_suggestions
        return self.dev if s is None else s

    @property
    def subgraph_errors_included(self) -> bool:
        s = self.security.include_subgraph_errors
        return self.dev if s is None else s

    @property
    def csrf_enabled(self) -> bool:
        s = self.security.csrf.enabled
        return not self.dev if s is None else s

    @property
    def limits_warn_only(self) -> bool:
        s = self.limits.warn_only
        return self.dev if s is None else s


def load_router_settings(path: str | Path, **overrides: object) -> RouterSettings:
    """Read router settings from a YAML file (unknown keys are an error).

    `overrides` (e.g. `dev=True` from a command-line flag) win over the file.
    """
    text = Path(path).read_text()
    data = yaml.safe_load(text) if text.strip() else {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: router settings must be a YAML mapping")
    data.update(overrides)
    return RouterSettings.model_validate(data)
