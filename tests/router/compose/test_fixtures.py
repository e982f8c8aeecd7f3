"""Every fixture composes, or fails with exactly the error codes it lists."""

from __future__ import annotations

import pytest
from graphql import build_ast_schema, parse

from router.compose import api_schema
from tests.helpers.compose import all_fixture_names, compose_fixture, error_codes

NAMES = all_fixture_names()


@pytest.mark.parametrize("name", NAMES)
def test_fixture_outcome(name: str) -> None:
    fixture, result = compose_fixture(name)
    assert error_codes(result) == sorted(set(fixture.errors)), [str(e) for e in result.errors]
    if fixture.expect_ok:
        assert result.supergraph_sdl is not None
        build_ast_schema(parse(result.supergraph_sdl))  # a valid GraphQL document
        api_schema(result.supergraph_sdl)
    else:
        assert result.supergraph_sdl is None
        subgraph_names = {s.name for s in fixture.subgraphs}
        for error in result.errors:
            assert error.message
            assert set(error.subgraphs) <= subgraph_names


def test_fixtures_cover_every_rule() -> None:
    """Each rule module has a fixture that triggers it."""
    from router.compose import rules

    codes = set()
    for rule in rules.SUBGRAPH_RULES + rules.MERGE_RULES + rules.SUPERGRAPH_RULES:
        module = __import__(rule.__module__, fromlist=["CODE"])
        codes.add(module.CODE)
    covered = set()
    for name in NAMES:
        _, result = compose_fixture(name)
        covered |= {e.code for e in result.errors}
    assert codes <= covered, sorted(codes - covered)
