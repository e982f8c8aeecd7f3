"""Prometheus series of the generation subgraph: where replies come from, what the guard stops."""

from __future__ import annotations

from prometheus_client import Counter

from models.generation.reply import Reply

REPLIES = Counter(
    "chorus_generation_replies_total",
    "Replies produced, by source (template, retrieval, generative, none)",
    ["source"],
)
GUARD_REJECTIONS = Counter(
    "chorus_generation_guard_rejections_total",
    "Generated texts the slot guard rejected (the template was used instead)",
)


def record_reply(reply: Reply, rejection: str | None) -> None:
    REPLIES.labels(reply.source).inc()
    if rejection is not None:
        GUARD_REJECTIONS.inc()
