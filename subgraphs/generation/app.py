"""`create_app()`: the generation subgraph as an ASGI app (`chorus subgraph generation`)."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from subgraphs.generation.runtime import GenerationRuntime
from subgraphs.generation.schema import schema
from subgraphs.generation.settings import GenerationSettings
from subgraphs.kit import create_app as create_subgraph_app

NAME = "generation"


class _GraphQL(GraphQL):
    """Strawberry's ASGI app with the runtime in every request's context."""

    def __init__(self, runtime: GenerationRuntime) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        )
        self.runtime = runtime

    async def get_context(  # type: ignore[override]
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        return {"request": request, "response": response, "runtime": self.runtime}


def create_app(settings: GenerationSettings | None = None) -> Starlette:
    runtime = GenerationRuntime(settings or GenerationSettings())
    app = create_subgraph_app(
        schema,
        name=NAME,
        on_startup=[runtime.start],
        on_shutdown=[runtime.stop],
        graphql_app=_GraphQL(runtime),
    )
    app.state.runtime = runtime
    return app
