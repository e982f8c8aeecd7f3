"""Rule invalid_field_sharing: the failing case and its fix.

Fixture: err_invalid_field_sharing.
"""

from __future__ import annotations

from router.compose.rules.invalid_field_sharing import CODE
from tests.helpers.compose import compose_fixture, compose_variant


def test_reports_the_error() -> None:
    fixture, result = compose_fixture("err_invalid_field_sharing")
    errors = [e for e in result.errors if e.code == CODE]
    assert errors, result.errors
    assert result.supergraph_sdl is None
    assert any("User.name" in e.coordinates for e in errors), [e.coordinates for e in errors]
    for error in errors:
        assert CODE in str(error)
        assert set(error.subgraphs) <= {s.name for s in fixture.subgraphs}


def test_fixed_schema_composes() -> None:
    result = compose_variant(
        "err_invalid_field_sharing", "b", "name: String }", "name: String @shareable }"
    )
    assert result.errors == []
    assert result.supergraph_sdl is not None
