"""Rule no_queries: the failing case and its fix.

Fixture: err_no_queries.
"""

from __future__ import annotations

from router.compose.rules.no_queries import CODE
from tests.helpers.compose import compose_fixture, compose_variant


def test_reports_the_error() -> None:
    fixture, result = compose_fixture("err_no_queries")
    errors = [e for e in result.errors if e.code == CODE]
    assert errors, result.errors
    assert result.supergraph_sdl is None
    for error in errors:
        assert CODE in str(error)
        assert set(error.subgraphs) <= {s.name for s in fixture.subgraphs}


def test_fixed_schema_composes() -> None:
    result = compose_variant(
        "err_no_queries",
        "a",
        'type User @key(fields: "id") { id: ID! }',
        'type User @key(fields: "id") { id: ID! }\ntype Query { user: User }',
    )
    assert result.errors == []
    assert result.supergraph_sdl is not None
