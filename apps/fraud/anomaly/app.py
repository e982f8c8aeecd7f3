"""ASGI app of the anomaly subgraph: `chorus subgraph anomaly` serves `create_app()`."""

from __future__ import annotations

from starlette.applications import Starlette

from apps.fraud.anomaly.schema import build_schema, context_for
from apps.fraud.anomaly.served import served_model
from apps.fraud.anomaly.store import RiskStore
from subgraphs.kit import create_app as kit_app


def create_app(database_url: str | None = None) -> Starlette:
    """The subgraph; `/ready` waits for the registry's production `anomaly` version."""
    store = RiskStore(database_url)
    served = served_model(database_url=database_url)
    return kit_app(
        build_schema(served),
        name="anomaly",
        models=[served],
        context=context_for(store, served),
        on_startup=[store.start],
        on_shutdown=[store.stop],
    )
