"""ASGI app of the dialogue subgraph: ``chorus subgraph dialogue`` serves ``create_app()``."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from subgraphs.dialogue.schema import build_schema
from subgraphs.dialogue.service import DialogueService
from subgraphs.dialogue.settings import DialogueSettings
from subgraphs.kit import create_app as kit_app


class _DialogueGraphQL(GraphQL):
    def __init__(self, service: DialogueService, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.service = service

    async def get_context(  # type: ignore[override]
        self, request: Request | WebSocket, response: Any
    ) -> dict[str, Any]:
        return {"request": request, "response": response, "dialogue": self.service}


def create_app(
    settings: DialogueSettings | None = None, *, service: DialogueService | None = None
) -> Starlette:
    """The subgraph; `/ready` turns 200 once the database answers with our tables."""
    service = service or DialogueService(settings)
    schema = build_schema()
    graphql = _DialogueGraphQL(service, schema=schema, graphql_ide="graphiql")
    app = kit_app(
        schema,
        name="dialogue",
        on_startup=[service.start],
        on_shutdown=[service.stop],
        graphql_app=graphql,
    )
    app.state.dialogue = service
    return app
