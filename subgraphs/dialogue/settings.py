"""Settings of the dialogue subgraph process (environment variables ``CHORUS_DIALOGUE_*``).

The engine ships no domain: an application names its domain file and its
extensions (custom actions, GraphQL fields), e.g. in ``chorus.yaml``::

    subgraphs:
      dialogue:
        env:
          CHORUS_DIALOGUE_DOMAIN: myapp:data/domain.yml
          CHORUS_DIALOGUE_EXTENSIONS: myapp.dialogue:extension

File settings take a path or ``package.module:relative/path`` (package data, see
``models.resources``). The database URL is shared by all subgraphs:
``CHORUS_DATABASE_URL`` (see ``models.db.database_url``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models.resources import OptionalResourcePath


class DialogueConfigError(ValueError):
    """The dialogue subgraph was started without the data it needs."""


class DialogueSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHORUS_DIALOGUE_", extra="ignore")

    domain: OptionalResourcePath = Field(
        default=None, description="the application's domain YAML (path or pkg.module:path)"
    )
    extensions: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="comma-separated pkg.module[:attribute] of DialogueExtensions "
        "(custom actions, GraphQL fields)",
    )
    database_url: str | None = Field(
        default=None, description="override CHORUS_DATABASE_URL for this subgraph only"
    )
    max_actions: int = Field(
        default=10, ge=1, description="most actions the policy runs per message"
    )
    max_text_length: int = Field(default=1000, ge=1, description="longest accepted message (chars)")
    wait_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="how long a turn waits for an earlier turn's understanding before "
        "the earlier turn is skipped",
    )
    poll_interval_s: float = Field(
        default=0.05,
        gt=0,
        description="how often a waiting turn re-reads the database (other replicas)",
    )
    clock_start: datetime | None = Field(
        default=None,
        description="start the dialogue clock at this instant (ISO 8601 with offset) and let it "
        "run from there: relative dates and opening hours in tests and story runs do not "
        "depend on the day they run",
    )

    @field_validator("extensions", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def require_domain(self) -> Path:
        """The domain file, or a clear error saying how to name one."""
        if self.domain is None:
            raise DialogueConfigError(
                "the dialogue subgraph has no domain: set CHORUS_DIALOGUE_DOMAIN to the "
                "application's domain file (a path or pkg.module:relative/path, e.g. "
                "myapp:data/domain.yml), for instance under subgraphs.dialogue.env in chorus.yaml"
            )
        return self.domain
