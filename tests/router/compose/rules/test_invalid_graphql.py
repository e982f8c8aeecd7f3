"""Rule invalid_graphql: the failing case and its fix.

Fixture: err_invalid_graphql.
"""

from __future__ import annotations

from router.compose.rules.invalid_graphql import CODE
from tests.helpers.compose import compose_fixture, compose_variant


def test_reports_the_error() -> None:
    fixture, result = compose_fixture("err_invalid_graphql")
    errors = [e for e in result.errors if e.code == CODE]
    assert errors, result.errors
    assert result.supergraph_sdl is None
    assert any("Query.a" in e.coordinates for e in errors), [e.coordinates for e in errors]
    for error in errors:
        assert CODE in str(error)
        assert set(error.subgraphs) <= {s.name for s in fixture.subgraphs}


def test_fixed_schema_composes() -> None:
    result = compose_variant("err_invalid_graphql", "a", "a: Missing", "a: Int")
    assert result.errors == []
    assert result.supergraph_sdl is not None
