"""ASGI app of the dialogue subgraph: ``chorus subgraph dialogue`` serves ``create_app()``."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.dialogue.schema import build_schema
from subgraphs.dialogue.service import DialogueService
from subgraphs.dialogue.settings import DialogueSettings
from subgraphs.kit import create_app as kit_app


def create_app(
    settings: DialogueSettings | None = None, *, service: DialogueService | None = None
) -> Starlette:
    """The subgraph; `/ready` turns 200 once the database answers with our tables.

    Without a domain configured (CHORUS_DIALOGUE_DOMAIN) this raises DialogueConfigError.
    """
    service = service or DialogueService(settings)
    schema = build_schema(service.extensions)
    app = kit_app(
        schema,
        name="dialogue",
        on_startup=[service.start],
        on_shutdown=[service.stop],
        context={"dialogue": service},
    )
    app.state.dialogue = service
    return app
