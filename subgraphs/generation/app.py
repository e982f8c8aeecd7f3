"""`create_app()`: the generation subgraph as an ASGI app (`chorus subgraph generation`)."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.generation.runtime import GenerationRuntime
from subgraphs.generation.schema import schema
from subgraphs.generation.settings import GenerationSettings
from subgraphs.kit import create_app as create_subgraph_app

NAME = "generation"


def create_app(settings: GenerationSettings | None = None) -> Starlette:
    """The subgraph; without a domain configured (CHORUS_GENERATION_DOMAIN) this raises
    GenerationConfigError."""
    settings = settings or GenerationSettings()
    settings.require_domain()
    runtime = GenerationRuntime(settings)
    app = create_subgraph_app(
        schema,
        name=NAME,
        on_startup=[runtime.start],
        on_shutdown=[runtime.stop],
        context={"runtime": runtime},
    )
    app.state.runtime = runtime
    return app
