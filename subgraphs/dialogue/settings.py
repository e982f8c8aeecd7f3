"""Settings of the dialogue subgraph process (environment variables ``CHORUS_DIALOGUE_*``).

The database URL is shared by all subgraphs: ``CHORUS_DATABASE_URL`` (see
``models.db.database_url``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from subgraphs.dialogue.domain import default_domain_path


class DialogueSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHORUS_DIALOGUE_", extra="ignore")

    domain: Path = Field(default_factory=default_domain_path, description="domain YAML file")
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
