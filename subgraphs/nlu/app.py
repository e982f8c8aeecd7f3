"""ASGI app of the NLU subgraph: ``chorus subgraph nlu`` serves ``create_app()``."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from subgraphs.kit import create_app as kit_app
from subgraphs.nlu.schema import build_schema
from subgraphs.nlu.service import NLUService
from subgraphs.nlu.settings import NLUSettings


class _NLUGraphQL(GraphQL):
    def __init__(self, service: NLUService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service

    async def get_context(self, request: Request | WebSocket, response: Any) -> dict[str, Any]:
        return {"request": request, "response": response, "nlu": self.service}


def create_app(settings: NLUSettings | None = None) -> Starlette:
    """The subgraph; the model loads and warms up before ``/ready`` turns 200."""
    service = NLUService(settings)
    schema = build_schema()
    graphql = _NLUGraphQL(service, schema=schema, graphql_ide="graphiql")
    app = kit_app(
        schema,
        name="nlu",
        on_startup=[service.start],
        on_shutdown=[service.stop],
        graphql_app=graphql,
    )
    app.state.nlu = service
    return app
