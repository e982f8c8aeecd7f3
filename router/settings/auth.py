"""JWT authentication and directive-based authorization settings."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["AuthSettings", "AuthorizationSettings", "JwksSettings", "JwtSettings"]

_FROZEN = ConfigDict(extra="forbid", frozen=True)

#: asymmetric algorithms only by default: a shared secret in a JWKS is rarely what you want
DEFAULT_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "EdDSA",
)


class JwksSettings(BaseModel):
    """One key set; tokens signed by its keys must carry one of its issuers/audiences."""

    model_config = _FROZEN
    url: str | None = Field(default=None, description="JWKS URL (fetched, cached, re-polled).")
    file: Path | None = Field(default=None, description="JWKS JSON file (re-read when it changes).")
    issuers: tuple[str, ...] = Field(
        default=(), description="Accepted `iss` values; empty: `iss` is not checked."
    )
    audiences: tuple[str, ...] = Field(
        default=(), description="Accepted `aud` values; empty: tokens with `aud` are refused."
    )
    algorithms: tuple[str, ...] = Field(
        default=DEFAULT_ALGORITHMS, description="Accepted `alg` values (`none` never is)."
    )
    poll_interval_s: float = Field(
        default=60.0, gt=0, description="Keys are refreshed this often (in the background)."
    )

    @model_validator(mode="after")
    def _one_source(self) -> JwksSettings:
        if (self.url is None) == (self.file is None):
            raise ValueError("a JWKS needs exactly one of 'url' or 'file'")
        if any(a.lower() == "none" for a in self.algorithms):
            raise ValueError("algorithm 'none' cannot be accepted")
        return self


class JwtSettings(BaseModel):
    model_config = _FROZEN
    jwks: tuple[JwksSettings, ...] = Field(min_length=1, description="Key sets, tried in order.")
    header_name: str = Field(default="authorization", description="Header carrying the token.")
    header_value_prefix: str = Field(
        default="Bearer", description="Scheme before the token ('' for a bare token)."
    )
    leeway_s: float = Field(default=0.0, ge=0, description="Clock skew allowed for exp/nbf/iat.")
    allow_missing_exp: bool = Field(default=False, description="Accept tokens without `exp`.")
    on_error: Literal["error", "continue"] = Field(
        default="error",
        description="Invalid token: 'error' answers 401 AUTH_ERROR, 'continue' serves the "
        "request as anonymous.",
    )
    scope_claim: str = Field(
        default="scope",
        description="Claim with the scopes for @requiresScopes (space-separated or a list).",
    )
    min_refresh_interval_s: float = Field(
        default=10.0,
        ge=0,
        description="An unknown `kid` triggers a key refresh at most this often (no thundering "
        "herd on forged kids).",
    )
    fetch_timeout_s: float = Field(default=5.0, gt=0, description="JWKS URL fetch timeout.")


class AuthorizationSettings(BaseModel):
    model_config = _FROZEN
    directives: bool = Field(
        default=True,
        description="Enforce @authenticated and @requiresScopes from the supergraph: "
        "unauthorized fields are removed before planning and answered with null plus an "
        "UNAUTHORIZED_FIELD_OR_TYPE error.",
    )
    require_authentication: bool = Field(
        default=False, description="Refuse anonymous requests (401 AUTH_ERROR)."
    )


class AuthSettings(BaseModel):
    model_config = _FROZEN
    jwt: JwtSettings | None = Field(default=None, description="JWT authentication; off if unset.")
    authorization: AuthorizationSettings = Field(default_factory=AuthorizationSettings)
