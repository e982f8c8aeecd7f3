"""Rule interface_object_usage_error: the failing case and its fix.

Fixture: err_interface_object_usage_error.
"""

from __future__ import annotations

from router.compose.rules.interface_object_usage_error import CODE
from tests.helpers.compose import compose_fixture, compose_variant


def test_reports_the_error() -> None:
    fixture, result = compose_fixture("err_interface_object_usage_error")
    errors = [e for e in result.errors if e.code == CODE]
    assert errors, result.errors
    assert result.supergraph_sdl is None
    assert any("Media" in e.coordinates for e in errors), [e.coordinates for e in errors]
    for error in errors:
        assert CODE in str(error)
        assert set(error.subgraphs) <= {s.name for s in fixture.subgraphs}


def test_fixed_schema_composes() -> None:
    result = compose_variant(
        "err_interface_object_usage_error",
        "a",
        'type Media @key(fields: "id") @interfaceObject { id: ID!  title: String }',
        'interface Media @key(fields: "id") { id: ID!  title: String }\n'
        'type Book implements Media @key(fields: "id") { id: ID!  title: String }',
    )
    assert result.errors == []
    assert result.supergraph_sdl is not None
