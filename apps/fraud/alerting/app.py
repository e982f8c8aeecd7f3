"""ASGI app of the alerting subgraph: `chorus subgraph alerting` serves `create_app()`."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from apps.fraud.alerting.rules import load_rules
from apps.fraud.alerting.schema import build_schema, context_for
from apps.fraud.alerting.store import AlertStore
from subgraphs.kit import create_app as kit_app


def create_app(database_url: str | None = None, rules: Path | None = None) -> Starlette:
    """The subgraph; a bad rules file fails here, naming the key, before anything serves."""
    store = AlertStore(load_rules(rules), database_url)
    app = kit_app(
        build_schema(),
        name="alerting",
        context=context_for(store),
        on_startup=[store.start],
        on_shutdown=[store.stop],
    )
    app.state.alerts = store
    return app
