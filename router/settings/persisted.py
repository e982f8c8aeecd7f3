"""Automatic persisted queries (APQ) and the persisted-query manifest (safelist)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["PersistedQuerySettings"]


class PersistedQuerySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    apq: bool = Field(
        default=True,
        description="Apollo's APQ protocol (`extensions.persistedQuery.sha256Hash`): a hash "
        "alone runs a query registered earlier, PERSISTED_QUERY_NOT_FOUND asks the client to "
        "send the text once. Off while a manifest is used.",
    )
    apq_cache_size: int = Field(
        default=4096, gt=0, description="Registered APQ queries kept (LRU)."
    )
    manifest: Path | None = Field(
        default=None,
        description="Apollo persisted-query manifest (JSON: `operations: [{id, body, name}]`); "
        "clients send `extensions.persistedQuery.sha256Hash = id`.",
    )
    safelist: bool = Field(
        default=False,
        description="Reject free-form operations whose text is not in the manifest "
        "(QUERY_NOT_IN_SAFELIST); comparison ignores whitespace and comments.",
    )
    require_id: bool = Field(
        default=False,
        description="Reject every free-form operation: only manifest ids run "
        "(PERSISTED_QUERY_ID_REQUIRED).",
    )
    log_unknown: bool = Field(
        default=False, description="Log free-form operations that are not in the manifest."
    )

    @model_validator(mode="after")
    def _needs_manifest(self) -> PersistedQuerySettings:
        if (self.safelist or self.require_id) and self.manifest is None:
            raise ValueError("persisted_queries.safelist/require_id need a manifest")
        return self
