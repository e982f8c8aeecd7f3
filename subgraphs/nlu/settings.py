"""Settings of the NLU subgraph process (environment variables ``CHORUS_NLU_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class NLUSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CHORUS_NLU_", extra="ignore", protected_namespaces=()
    )

    model_name: str = Field("nlu", description="registry name whose production version is served")
    model_path: Path | None = Field(
        None, description="serve this artefact directory instead of the registry's version"
    )
    max_text_length: int = Field(1000, ge=1, description="longest accepted utterance (chars)")
    max_batch_size: int = Field(32, ge=1)
    max_wait_ms: float = Field(2.0, ge=0)
    max_queue: int = Field(1024, ge=1)
    fallback_threshold: float | None = Field(
        None, ge=0, le=1, description="override the model's fallback confidence threshold"
    )
    ambiguity_threshold: float | None = Field(
        None, ge=0, le=1, description="override the model's top-2 ambiguity threshold"
    )
