"""Every composition fixture, composed by Chorus and by @theguild/federation-composition.

Both must accept or both reject, and accepted ones must give equal API schemas
(graphql-core lexicographic sort + print). A fixture may record where the
peer is known to differ (`peer_errors`): then the test checks that the peer
still differs in exactly that way, so a peer fix shows up as a failure here.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_ast_schema, parse

from router.compose import api_schema_sdl, compose
from router.compose.api_schema import normalized_sdl
from tests.helpers.compose import all_fixture_names, load_fixture

NAMES = all_fixture_names()


@pytest.fixture(scope="module")
def peer_results(peer: Any) -> dict[str, dict[str, Any]]:
    fixtures = [load_fixture(n) for n in NAMES]
    return dict(zip(NAMES, peer([f.subgraphs for f in fixtures]), strict=True))


@pytest.mark.parametrize("name", NAMES)
def test_peer_agrees(name: str, peer_results: dict[str, dict[str, Any]]) -> None:
    fixture = load_fixture(name)
    ours = compose(fixture.subgraphs)
    theirs = peer_results[name]
    peer_codes = sorted({e["code"] for e in theirs["errors"]})
    if fixture.peer_errors is not None:
        assert peer_codes == sorted(fixture.peer_errors), theirs["errors"]
        return
    assert (ours.supergraph_sdl is None) == bool(theirs["errors"]), (ours.errors, theirs["errors"])
    if ours.supergraph_sdl is None:
        assert {e.code for e in ours.errors} & set(peer_codes), (ours.errors, peer_codes)
        return
    expected = normalized_sdl(build_ast_schema(parse(theirs["publicSdl"])))
    assert api_schema_sdl(ours.supergraph_sdl) == expected
    # and our API-schema function reads the peer's supergraph the same way the peer does
    assert api_schema_sdl(theirs["supergraphSdl"]) == expected
