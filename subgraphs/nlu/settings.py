"""Settings of the NLU subgraph process (environment variables ``CHORUS_NLU_*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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
    model_poll_s: float | None = Field(
        None,
        ge=0,
        description="seconds between registry checks for a newly promoted version "
        "(0: never; unset: CHORUS_MODEL_POLL_S, else 5)",
    )
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="encoder precision; auto: bf16 where the CPU has native bfloat16"
    )
    max_text_length: int = Field(1000, ge=1, description="longest accepted utterance (chars)")
    batching: bool = Field(
        True,
        description="share forward passes between concurrent requests "
        "(CHORUS_NLU_BATCHING=0 serves one request per pass: the baseline of bench/inference.py)",
    )
    max_batch_size: int = Field(32, ge=1, description="most requests in one forward pass")
    max_wait_ms: float = Field(
        10.0, ge=0, description="longest a partial batch may linger (only under concurrency)"
    )
    linger_gap_ms: float = Field(
        1.5,
        ge=0,
        description="a lingering batch stops waiting once no request arrived for this long "
        "(0: it waits the whole max_wait_ms)",
    )
    max_queue: int = Field(1024, ge=1, description="requests waiting beyond this answer OVERLOADED")
    fallback_threshold: float | None = Field(
        None, ge=0, le=1, description="override the model's fallback confidence threshold"
    )
    ambiguity_threshold: float | None = Field(
        None, ge=0, le=1, description="override the model's top-2 ambiguity threshold"
    )

    @property
    def batch_size(self) -> int:
        """The batcher's ``max_batch_size``: 1 when batching is off."""
        return self.max_batch_size if self.batching else 1
