"""Rule unknown_federation_link_version: the failing case and its fix.

Fixture: err_unknown_federation_link_version.
"""

from __future__ import annotations

from router.compose.rules.unknown_federation_link_version import CODE
from tests.helpers.compose import compose_fixture, compose_variant


def test_reports_the_error() -> None:
    fixture, result = compose_fixture("err_unknown_federation_link_version")
    errors = [e for e in result.errors if e.code == CODE]
    assert errors, result.errors
    assert result.supergraph_sdl is None
    for error in errors:
        assert CODE in str(error)
        assert set(error.subgraphs) <= {s.name for s in fixture.subgraphs}


def test_fixed_schema_composes() -> None:
    result = compose_variant("err_unknown_federation_link_version", "a", "v2.99", "v2.9")
    assert result.errors == []
    assert result.supergraph_sdl is not None
