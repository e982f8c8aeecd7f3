"""Production-mode defences: CSRF, CORS, introspection, error redaction."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["CorsSettings", "CsrfSettings", "SecuritySettings"]


class CsrfSettings(BaseModel):
    """Apollo's rule: execute only requests a browser would have preflighted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = Field(
        default=None, description="Default: on in production, off in dev mode."
    )
    required_headers: tuple[str, ...] = Field(
        default=("x-apollo-operation-name", "apollo-require-preflight"),
        description="Any one of these (non-empty) marks a request with a simple content type "
        "(or none, as GET) as preflighted.",
    )


class CorsSettings(BaseModel):
    """Cross-origin browser access, by allow-list (nothing is allowed by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    origins: tuple[str, ...] = Field(
        default=(), description="Exact origins allowed, e.g. `https://app.example.com`."
    )
    match_origins: tuple[str, ...] = Field(
        default=(), description="Regular expressions; an origin matching one is allowed."
    )
    allow_credentials: bool = Field(
        default=False, description="Send `Access-Control-Allow-Credentials: true`."
    )
    allow_headers: tuple[str, ...] = Field(
        default=(
            "content-type",
            "authorization",
            "apollo-require-preflight",
            "x-apollo-operation-name",
            "traceparent",
            "tracestate",
        ),
        description="Request headers a browser may send cross-origin.",
    )
    expose_headers: tuple[str, ...] = Field(
        default=("retry-after",), description="Response headers scripts may read."
    )
    max_age_s: int = Field(default=600, ge=0, description="Preflight cache lifetime.")

    @field_validator("match_origins")
    @classmethod
    def _compiles(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
        return value


class SecuritySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    introspection: bool | None = Field(
        default=None,
        description="Answer `__schema`/`__type` (INTROSPECTION_DISABLED otherwise). "
        "Default: on in dev mode only.",
    )
    field_suggestions: bool | None = Field(
        default=None,
        description="Keep 'Did you mean ...?' in validation errors (they leak the schema). "
        "Default: on in dev mode only.",
    )
    include_subgraph_errors: bool | None = Field(
        default=None,
        description="Pass subgraph error messages to clients. When off, each subgraph error "
        "becomes 'Subgraph errors redacted' keeping path, extensions.code, serviceName and "
        "the trace id (the original is logged with that trace id). Default: on in dev mode only.",
    )
    csrf: CsrfSettings = Field(default_factory=CsrfSettings)
    cors: CorsSettings = Field(default_factory=CorsSettings)
