"""Rule external_argument_missing: the failing case and its fix.

Fixture: err_external_argument_missing.
"""

from __future__ import annotations

from router.compose.rules.external_argument_missing import CODE
from tests.helpers.compose import compose_fixture, compose_variant


def test_reports_the_error() -> None:
    fixture, result = compose_fixture("err_external_argument_missing")
    errors = [e for e in result.errors if e.code == CODE]
    assert errors, result.errors
    assert result.supergraph_sdl is None
    assert any("Product.price(currency:)" in e.coordinates for e in errors), [
        e.coordinates for e in errors
    ]
    for error in errors:
        assert CODE in str(error)
        assert set(error.subgraphs) <= {s.name for s in fixture.subgraphs}


def test_fixed_schema_composes() -> None:
    result = compose_variant(
        "err_external_argument_missing",
        "b",
        "price: Int @external",
        "price(currency: String): Int @external",
    )
    assert result.errors == []
    assert result.supergraph_sdl is not None
