"""ASGI app of the alerting subgraph.

`chorus subgraph alerting` serves `create_app()`.
"""

from __future__ import annotations

from starlette.applications import Starlette

from apps.fraud.alerting.schema import build_schema
from subgraphs.kit import create_app as kit_app


def create_app() -> Starlette:
    """The subgraph with the kit's /graphql, /health, /ready and /metrics."""
    return kit_app(build_schema(), name="alerting")
