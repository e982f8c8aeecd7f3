"""The project's own subgraphs (nlu, dialogue, generation), as they serve `_service { sdl }`,
compose, and their supergraph has the pipeline's @requires chain on Turn."""

from __future__ import annotations

import importlib

import pytest

from router.compose import SubgraphSource, api_schema, compose

SUBGRAPHS = ("dialogue", "generation", "nlu")


def _served_sdl(name: str) -> str:
    module = importlib.import_module(f"subgraphs.{name}.schema")
    # each team exposes its schema as `build_schema()` or as a module-level `schema`
    schema = module.build_schema() if hasattr(module, "build_schema") else module.schema
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.errors is None, result.errors
    assert result.data is not None
    return str(result.data["_service"]["sdl"])


@pytest.fixture(scope="module")
def sources() -> list[SubgraphSource]:
    return [
        SubgraphSource(name, f"http://127.0.0.1:{4601 + i}/graphql", _served_sdl(name))
        for i, name in enumerate(SUBGRAPHS)
    ]


def test_pipeline_subgraphs_compose(sources: list[SubgraphSource]) -> None:
    result = compose(sources)
    assert result.errors == [], [str(e) for e in result.errors]
    sdl = result.supergraph_sdl
    assert sdl is not None
    assert '@join__field(graph: NLU, requires: "text")' in sdl
    assert "@join__field(graph: GENERATION, external: true)" in sdl
    schema = api_schema(sdl)
    turn = schema.get_type("Turn")
    assert turn is not None
    assert {"understanding", "action", "reply"} <= set(turn.fields)  # type: ignore[attr-defined]
