"""Settings of the training subgraph, from `CHORUS_TRAINING_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class TrainingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHORUS_TRAINING_", extra="ignore")

    workers: int = Field(
        default=1, ge=0, description="jobs run at once (0: this replica runs none)"
    )
    held_out: float = Field(
        default=0.2, ge=0, lt=1, description="default fraction of the data held out for the gate"
    )
    poll_s: float = Field(default=1.0, gt=0, description="seconds between looks for queued jobs")
    heartbeat_s: float = Field(default=1.0, gt=0, description="seconds between job heartbeats")
    stale_s: float = Field(
        default=30.0,
        gt=0,
        description="a running job without a heartbeat for this long is failed (its service died)",
    )
    stream_interval_s: float = Field(
        default=0.25, gt=0, description="how often a trainingJob subscription reads the row"
    )
    log_lines: int = Field(default=50, ge=1, description="log lines kept with a job")
    stop_grace_s: float = Field(
        default=5.0, ge=0, description="seconds a cancelled worker gets before it is killed"
    )
    max_runtime_s: float = Field(
        default=86400.0,
        ge=0,
        description="a job whose worker runs longer than this is stopped and failed "
        "(a hung or runaway trainer); 0: no limit",
    )
    engine: Literal["local", "procrastinate"] = Field(
        default="local",
        description="where queued jobs run: local worker processes of this service, or "
        "procrastinate workers (`chorus training-worker`) reading a PostgreSQL queue",
    )
    queue_url: str | None = Field(
        default=None,
        description="the PostgreSQL database of the procrastinate queue "
        "(default: CHORUS_DATABASE_URL)",
    )
    queue_name: str = Field(default="training", description="the procrastinate queue's name")
    corrections_model: str = Field(
        default="nlu",
        description="the model that corrections of a turn's understanding train",
    )
