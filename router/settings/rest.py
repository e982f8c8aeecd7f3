"""REST endpoints backed by GraphQL operations, and their OpenAPI document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["RestEndpointSettings", "RestSettings"]

_PATH = re.compile(r"^(/[A-Za-z0-9._~-]+|/\{[A-Za-z_][A-Za-z0-9_]*\})+$")


class RestEndpointSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(
        description="HTTP method. GET and DELETE take no body; GET runs queries only."
    )
    path: str = Field(
        description="URL path, e.g. /v1/alerts/{id}; a {name} segment feeds the variable `name`."
    )
    operation: str | None = Field(
        default=None,
        description="The GraphQL operation, as text (one of operation, "
        "operation_file, persisted_id).",
    )
    operation_file: Path | None = Field(
        default=None, description="A file holding the GraphQL operation."
    )
    persisted_id: str | None = Field(
        default=None,
        description="The id of the operation in the persisted-query manifest "
        "(persisted_queries.manifest); it runs as that persisted query.",
    )
    operation_name: str | None = Field(
        default=None, description="Which operation of the document, when it holds several."
    )
    body: str | None = Field(
        default=None,
        description="The variable that takes the whole JSON request body; unset: the body is "
        "an object whose keys are variables.",
    )
    result: str | None = Field(
        default=None,
        description="The response key of `data` that is the response body; unset: the "
        "operation's only root field (all of `data` when it selects several).",
    )
    status: int = Field(default=200, ge=200, le=299, description="Status of a success.")
    summary: str | None = Field(
        default=None, description="OpenAPI summary (default: the root field's description)."
    )
    tags: tuple[str, ...] = Field(default=(), description="OpenAPI tags.")

    @model_validator(mode="after")
    def _checked(self) -> RestEndpointSettings:
        sources = [self.operation, self.operation_file, self.persisted_id]
        if sum(s is not None for s in sources) != 1:
            raise ValueError(
                f"rest endpoint {self.method} {self.path}: give exactly one of operation, "
                "operation_file, persisted_id"
            )
        if not _PATH.match(self.path):
            raise ValueError(
                f"rest endpoint path {self.path!r}: expected /segment or /{{variable}} parts"
            )
        if self.body is not None and self.method in ("GET", "DELETE"):
            raise ValueError(f"rest endpoint {self.method} {self.path}: {self.method} has no body")
        return self


class RestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoints: tuple[RestEndpointSettings, ...] = Field(
        default=(),
        description="REST endpoints, each a GraphQL operation run through the same pipeline as "
        "/graphql (keys: method, path, operation | operation_file | persisted_id, "
        "operation_name, body, result, status, summary, tags; router/README.md).",
    )
    openapi_path: str | None = Field(
        default="/openapi.json",
        description="Where the OpenAPI 3.1 document of the endpoints is served (null: not "
        "served). Served only when there are endpoints.",
    )
    title: str = Field(default="Chorus REST API", description="OpenAPI info.title.")
    version: str = Field(default="1.0.0", description="OpenAPI info.version.")
    error_status: dict[str, int] = Field(
        default_factory=dict,
        description="extensions.code -> HTTP status, over the defaults (router/README.md, "
        "REST errors), e.g. {PAYMENT_DECLINED: 402}.",
    )

    @model_validator(mode="after")
    def _unique(self) -> RestSettings:
        seen: set[tuple[str, str]] = set()
        for e in self.endpoints:
            shape = (e.method, re.sub(r"\{[^}]*\}", "{}", e.path))
            if shape in seen:
                raise ValueError(f"rest endpoint {e.method} {e.path} is configured twice")
            seen.add(shape)
            if e.path == self.openapi_path:
                raise ValueError(f"rest endpoint {e.path} is the OpenAPI document's path")
        for code, status in self.error_status.items():
            if not 400 <= status <= 599:
                raise ValueError(f"rest.error_status.{code}: {status} is not a 4xx/5xx status")
        return self
