"""Rule requires_fields_missing_external: the failing case and its fix.

Fixture: err_requires_fields_missing_external.
"""

from __future__ import annotations

from router.compose.rules.requires_fields_missing_external import CODE
from tests.helpers.compose import compose_fixture, compose_variant


def test_reports_the_error() -> None:
    fixture, result = compose_fixture("err_requires_fields_missing_external")
    errors = [e for e in result.errors if e.code == CODE]
    assert errors, result.errors
    assert result.supergraph_sdl is None
    assert any("Product.weight" in e.coordinates for e in errors), [e.coordinates for e in errors]
    for error in errors:
        assert CODE in str(error)
        assert set(error.subgraphs) <= {s.name for s in fixture.subgraphs}


def test_fixed_schema_composes() -> None:
    result = compose_variant(
        "err_requires_fields_missing_external",
        "b",
        "weight: Int @shareable  shipping",
        "weight: Int @external  shipping",
    )
    assert result.errors == []
    assert result.supergraph_sdl is not None
