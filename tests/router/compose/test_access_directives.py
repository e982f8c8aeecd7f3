"""`@authenticated` and `@requiresScopes` reach the supergraph, where the router enforces them."""

from __future__ import annotations

from router.compose import SubgraphSource, api_schema, compose
from router.request.authorization.directives import read_access_rules
from router.supergraph.load import load_supergraph

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@authenticated", "@requiresScopes"])\n'
)
A = (
    LINK
    + """
type Query { me: User @authenticated  version: String! }
type User @key(fields: "id") {
  id: ID!
  email: String! @shareable @requiresScopes(scopes: [["read:email"], ["admin"]])
}
type Mutation { wipe: Boolean @requiresScopes(scopes: [["admin", "ops"]]) }
"""
)
B = (
    LINK
    + """
type User @key(fields: "id") @authenticated {
  id: ID!
  email: String! @shareable @requiresScopes(scopes: [["pii"]])
}
"""
)


def test_access_directives_are_kept_and_scopes_of_several_subgraphs_all_hold() -> None:
    result = compose([SubgraphSource("a", "http://a", A), SubgraphSource("b", "http://b", B)])
    assert result.errors == [], [str(e) for e in result.errors]
    sdl = result.supergraph_sdl
    assert sdl is not None
    assert '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)' in sdl
    assert '@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)' in sdl
    rules = read_access_rules(load_supergraph(sdl).schema)
    assert rules.authenticated_fields == {("Query", "me")}
    assert rules.authenticated_types == {"User"}
    assert rules.scoped_fields[("Mutation", "wipe")] == [(frozenset({"admin", "ops"}),)]
    # a: read:email OR admin; b: pii -> both subgraphs' requirements hold
    assert rules.scoped_fields[("User", "email")] == [
        (frozenset({"read:email", "pii"}), frozenset({"admin", "pii"}))
    ]
    # clients never see the machinery
    api = api_schema(sdl)
    assert api.get_type("requiresScopes__Scope") is None
    assert api.get_directive("requiresScopes") is None


def test_without_access_directives_nothing_is_linked() -> None:
    plain = LINK + "type Query { version: String! }"
    result = compose([SubgraphSource("a", "http://a", plain)])
    assert result.supergraph_sdl is not None
    assert "requiresScopes" not in result.supergraph_sdl
    assert "authenticated" not in result.supergraph_sdl
