"""Settings of the generation subgraph, from `CHORUS_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.generation.data import DEFAULT_DOMAIN, DEFAULT_FAQ, DEFAULT_PARAPHRASES, MODEL_NAME


class GenerationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHORUS_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="default: SQLite file chorus.db in the data dir"
    )
    data_dir: Path = Path(".chorus")
    torch_threads: int = Field(default=1, ge=1)

    generation_domain: Path = Field(
        default=DEFAULT_DOMAIN, description="domain file whose responses: are the templates"
    )
    generation_paraphrases: Path | None = DEFAULT_PARAPHRASES
    generation_faq: Path | None = Field(
        default=DEFAULT_FAQ, description="FAQ bank for retrieval; unset to disable retrieval"
    )
    generation_model_name: str = Field(
        default=MODEL_NAME, description="registry name whose production version is served"
    )
    generation_model_dir: Path | None = Field(
        default=None,
        description="serve this Hugging Face causal LM directory instead of the registry's",
    )
    generation_model_poll_s: float | None = Field(
        default=None,
        ge=0,
        description="seconds between registry checks for a newly promoted generator "
        "(0: never; unset: CHORUS_MODEL_POLL_S, else 5)",
    )
    generation_generative: bool = Field(
        default=True, description="false: templates and retrieval only"
    )
    generation_max_new_tokens: int = Field(default=96, ge=1, le=1024)
    generation_deadline_ms: int = Field(default=3000, ge=1)
    generation_max_batch_size: int = Field(default=16, ge=1)
    generation_max_queue: int = Field(default=256, ge=1)
    generation_wait_for_reply_s: float = Field(
        default=10.0,
        ge=0,
        description="how long replyStream(turnId) waits for a reply another replica generates",
    )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chorus.db').resolve()}"
