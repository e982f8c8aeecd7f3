"""ASGI app of the ingestion subgraph: `chorus subgraph ingestion` serves `create_app()`."""

from __future__ import annotations

from starlette.applications import Starlette

from apps.fraud.ingestion.schema import build_schema, context_for
from apps.fraud.ingestion.store import TransactionStore
from subgraphs.kit import create_app as kit_app


def create_app(database_url: str | None = None) -> Starlette:
    """The subgraph; `/ready` turns 200 once the database answers with its table."""
    store = TransactionStore(database_url)
    return kit_app(
        build_schema(),
        name="ingestion",
        context=context_for(store),
        on_startup=[store.start],
        on_shutdown=[store.stop],
    )
