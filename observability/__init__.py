"""Tracing and structured logs shared by the router, the subgraphs and the models.

A leaf package: it imports nothing else of ours, so every part of Chorus (and a
team's own subgraph) can use it without pulling in the router or the models.
"""

from observability.logs import configure_logging
from observability.tracing import configure_tracing, tracing_enabled

__all__ = ["configure_logging", "configure_tracing", "tracing_enabled"]
