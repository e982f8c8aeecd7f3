"""Settings of the generation subgraph, from `CHORUS_*` environment variables.

The subgraph ships no data: the application names its domain file (whose
`responses:` are the templates), and optionally its paraphrases, FAQ bank and
the instruction that opens prompts of plain language models, e.g. in
``chorus.yaml`` under ``subgraphs.generation.env``::

    CHORUS_GENERATION_DOMAIN: myapp:data/domain.yml
    CHORUS_GENERATION_FAQ: myapp:data/faq.yml

File settings take a path or ``package.module:relative/path`` (package data, see
``models.resources``); a named file that does not exist is an error.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.generation.data import MODEL_NAME
from models.generation.generator import DEFAULT_INSTRUCTION
from models.resources import OptionalResourcePath


class GenerationConfigError(ValueError):
    """The generation subgraph was started without the data it needs."""


class GenerationSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHORUS_", extra="ignore")

    database_url: str | None = Field(
        default=None, description="default: SQLite file chorus.db in the data dir"
    )
    data_dir: Path = Path(".chorus")
    torch_threads: int = Field(default=1, ge=1)

    generation_domain: OptionalResourcePath = Field(
        default=None, description="the application's domain file: its responses: are the templates"
    )
    generation_paraphrases: OptionalResourcePath = Field(
        default=None, description="extra response variants (same format)"
    )
    generation_faq: OptionalResourcePath = Field(
        default=None, description="FAQ bank for retrieval; unset: no retrieval"
    )
    generation_prompt: OptionalResourcePath = Field(
        default=None,
        description="text file: the instruction that opens prompts of plain language models "
        "(unset: a generic one)",
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

    def require_domain(self) -> Path:
        """The domain file, or a clear error saying how to name one."""
        if self.generation_domain is None:
            raise GenerationConfigError(
                "the generation subgraph has no domain: set CHORUS_GENERATION_DOMAIN to the "
                "application's domain file (a path or pkg.module:relative/path, e.g. "
                "myapp:data/domain.yml), for instance under subgraphs.generation.env in "
                "chorus.yaml"
            )
        return self.generation_domain

    def instruction(self) -> str:
        """The application's prompt instruction (the file's text), else the generic one."""
        if self.generation_prompt is None:
            return DEFAULT_INSTRUCTION
        text = self.generation_prompt.read_text(encoding="utf-8").strip()
        if not text:
            raise GenerationConfigError(f"{self.generation_prompt}: the prompt file is empty")
        return text
