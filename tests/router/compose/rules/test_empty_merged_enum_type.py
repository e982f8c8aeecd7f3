"""Rule empty_merged_enum_type: the failing case and its fix.

Fixture: err_empty_merged_enum_type.
"""

from __future__ import annotations

from router.compose.rules.empty_merged_enum_type import CODE
from tests.helpers.compose import compose_fixture, compose_variant


def test_reports_the_error() -> None:
    fixture, result = compose_fixture("err_empty_merged_enum_type")
    errors = [e for e in result.errors if e.code == CODE]
    assert errors, result.errors
    assert result.supergraph_sdl is None
    assert any("Mode" in e.coordinates for e in errors), [e.coordinates for e in errors]
    for error in errors:
        assert CODE in str(error)
        assert set(error.subgraphs) <= {s.name for s in fixture.subgraphs}


def test_fixed_schema_composes() -> None:
    result = compose_variant("err_empty_merged_enum_type", "b", "SLOW", "FAST")
    assert result.errors == []
    assert result.supergraph_sdl is not None
