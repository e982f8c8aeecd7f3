"""The supergraph carries join directives exactly where Apollo's composition writes them.

Expected lines were checked against Apollo's composition (@apollo/composition
2.14) during development; they are written out here so the test runs offline.
"""

from __future__ import annotations

from tests.helpers.compose import compose_fixture


def _block(sdl: str, head: str) -> str:
    start = sdl.index(head + "\n") if head + "\n" in sdl else sdl.index(head + " ")
    return sdl[start : sdl.index("\n}", start) + 2]


def test_pipeline_links_and_graphs() -> None:
    _, result = compose_fixture("pipeline")
    sdl = result.supergraph_sdl
    assert sdl is not None
    assert sdl.startswith(
        "schema\n"
        '  @link(url: "https://specs.apollo.dev/link/v1.0")\n'
        '  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)\n'
        "{\n  query: Query\n  mutation: Mutation\n  subscription: Subscription\n}\n"
    )
    assert (
        'DIALOGUE @join__graph(name: "dialogue", url: "http://dialogue.example:4000/graphql")'
        in sdl
    )


def test_pipeline_turn_entity() -> None:
    _, result = compose_fixture("pipeline")
    assert result.supergraph_sdl is not None
    turn = _block(result.supergraph_sdl, "type Turn")
    assert turn.splitlines()[1:4] == [
        '  @join__type(graph: DIALOGUE, key: "id")',
        '  @join__type(graph: GENERATION, key: "id")',
        '  @join__type(graph: NLU, key: "id")',
    ]
    assert "  id: ID!\n" in turn  # in every subgraph: no @join__field
    assert (
        "  text: String! @join__field(graph: DIALOGUE) @join__field(graph: NLU, external: true)"
        in turn
    )
    assert (
        '  action: Action! @join__field(graph: DIALOGUE, requires: "understanding { intent { '
        'name confidence } entities { type value start end } fallback }") '
        "@join__field(graph: GENERATION, external: true)" in turn
    )
    assert (
        "  understanding: Understanding! @join__field(graph: DIALOGUE, external: true) "
        '@join__field(graph: NLU, requires: "text")' in turn
    )
    assert (
        "  reply: Reply! @join__field(graph: GENERATION, "
        'requires: "action { name slots { name value } }")' in turn
    )


def test_pipeline_value_types() -> None:
    _, result = compose_fixture("pipeline")
    sdl = result.supergraph_sdl
    assert sdl is not None
    model_ref = _block(sdl, "type ModelRef")
    assert "  name: String!\n  version: String!\n}" in model_ref  # everywhere: no join field
    action = _block(sdl, "type Action")
    assert "  activeForm: String @join__field(graph: DIALOGUE)" in action
    assert "  slots: [SlotValue!]!\n" in action
    query = _block(sdl, "type Query")
    assert "  understand(text: String!): Understanding! @join__field(graph: NLU)" in query


def test_interface_object_fields_on_implementations() -> None:
    _, result = compose_fixture("interface_object")
    sdl = result.supergraph_sdl
    assert sdl is not None
    media = _block(sdl, "interface Media")
    assert '@join__type(graph: REVIEWS, key: "id", isInterfaceObject: true)' in media
    book = _block(sdl, "type Book implements Media")
    assert "  reviews: [String!]! @join__field\n" in book
    assert '@join__implements(graph: MEDIA, interface: "Media")' in book


def test_override_and_used_overridden() -> None:
    _, result = compose_fixture("override")
    sdl = result.supergraph_sdl
    assert sdl is not None
    account = _block(sdl, "type Account implements Billable")
    assert (
        '  balance: Int @join__field(graph: BILLING, override: "old") '
        "@join__field(graph: OLD, usedOverridden: true)" in account
    )
    assert '  plan: String @join__field(graph: NEW, override: "old")\n' in account


def test_federation1_extension_flags() -> None:
    _, result = compose_fixture("fed1_extensions")
    sdl = result.supergraph_sdl
    assert sdl is not None
    user = _block(sdl, "type User")
    # `extend type` in Federation 1 is read as a definition; `@extends` keeps extension: true
    assert '@join__type(graph: POSTS, key: "id")\n' in user
    assert '@join__type(graph: LEGACY, key: "id", extension: true)' in user
    # the unused external `nickname` was dropped by the upgrade
    assert "nickname" not in user


def test_differing_types_are_recorded_per_graph() -> None:
    _, result = compose_fixture("value_type_nullability")
    sdl = result.supergraph_sdl
    assert sdl is not None
    price = _block(sdl, "type Price")
    assert (
        '  amount: Int @join__field(graph: A, type: "Int!") @join__field(graph: B, type: "Int")'
        in price
    )
    query = _block(sdl, "type Query")
    assert "tags(limit: Int!): [String]" in query


def test_inaccessible_and_tag_specs_are_linked() -> None:
    _, result = compose_fixture("inaccessible_and_tag")
    sdl = result.supergraph_sdl
    assert sdl is not None
    assert '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)' in sdl
    assert '@link(url: "https://specs.apollo.dev/tag/v0.3")' in sdl
    assert "  SYSTEM @inaccessible @join__enumValue(graph: A) @join__enumValue(graph: B)" in sdl


def test_composed_directive_is_linked_and_kept() -> None:
    _, result = compose_fixture("compose_directive")
    sdl = result.supergraph_sdl
    assert sdl is not None
    assert '@link(url: "https://chorus.dev/cache/v1.0", import: ["@cacheControl"])' in sdl
    assert "directive @cacheControl(maxAge: Int) on FIELD_DEFINITION | OBJECT" in sdl
    assert "name: String @cacheControl(maxAge: 30)" in sdl
