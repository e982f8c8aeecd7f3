"""GraphQL types every model-backed subgraph shares: which model answered, and how it is doing.

They are `@shareable`, so any number of subgraphs can return them and the
supergraph still composes; a team imports them instead of declaring its own.
"""

from __future__ import annotations

import strawberry

from models.monitoring import VersionStats


@strawberry.federation.type(shareable=True)
class ModelRef:
    """A registered model version: what produced a result."""

    name: str
    version: str


@strawberry.federation.type(
    shareable=True,
    description="How one model version did over the recent window (in this process's memory).",
)
class ModelStats:
    name: str
    version: str
    requests: int = strawberry.field(description="answered calls within the window")
    latency_p50_ms: float = strawberry.field(description="queue wait + forward pass, per call")
    latency_p95_ms: float
    latency_p99_ms: float
    mean_confidence: float | None = strawberry.field(
        description="mean confidence of the top prediction (null: the model reports none)"
    )
    fallback_rate: float | None = strawberry.field(
        description="share of calls that fell back (low confidence or ambiguous)"
    )
    window_s: float = strawberry.field(description="length of the window in seconds")

    @classmethod
    def of(cls, s: VersionStats) -> ModelStats:
        return cls(
            name=s.name,
            version=s.version,
            requests=s.requests,
            latency_p50_ms=round(s.latency_p50_ms, 3),
            latency_p95_ms=round(s.latency_p95_ms, 3),
            latency_p99_ms=round(s.latency_p99_ms, 3),
            mean_confidence=s.mean_confidence,
            fallback_rate=s.fallback_rate,
            window_s=s.window_s,
        )
