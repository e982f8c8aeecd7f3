"""`create_app()`: the generation subgraph as an ASGI app (`chorus subgraph generation`)."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.generation.generator import served_generator
from subgraphs.generation.runtime import GenerationRuntime
from subgraphs.generation.schema import build_schema
from subgraphs.generation.settings import GenerationSettings
from subgraphs.kit import create_app as create_subgraph_app

NAME = "generation"


def create_app(settings: GenerationSettings | None = None) -> Starlette:
    """The subgraph; without a domain configured (CHORUS_GENERATION_DOMAIN) this raises
    GenerationConfigError."""
    settings = settings or GenerationSettings()
    settings.require_domain()
    generator = served_generator(settings)
    # With generation off the generator is declared (its admin mutation exists) but never loaded.
    runtime = GenerationRuntime(settings, generator if settings.generation_generative else None)
    app = create_subgraph_app(
        build_schema(generator),
        name=NAME,
        models=[generator] if settings.generation_generative else [],
        on_startup=[runtime.start],
        on_shutdown=[runtime.stop],
        context={"runtime": runtime},
    )
    app.state.runtime = runtime
    return app
