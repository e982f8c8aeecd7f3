"""ASGI app of the NLU subgraph: ``chorus subgraph nlu`` serves ``create_app()``."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.kit import create_app as kit_app
from subgraphs.nlu.schema import build_schema
from subgraphs.nlu.service import NLUService
from subgraphs.nlu.settings import NLUSettings


def create_app(settings: NLUSettings | None = None) -> Starlette:
    """The subgraph; the model loads and warms up before ``/ready`` turns 200."""
    service = NLUService(settings)
    app = kit_app(
        build_schema(service),
        name="nlu",
        models=[service.served],
        on_startup=[service.start],
        context={"nlu": service},
    )
    app.state.nlu = service
    return app
