"""The API schema drops join/link machinery and everything @inaccessible."""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLObjectType

from router.compose import api_schema, api_schema_sdl
from tests.helpers.compose import compose_fixture


def test_inaccessible_elements_are_removed() -> None:
    _, result = compose_fixture("inaccessible_and_tag")
    assert result.supergraph_sdl is not None
    schema = api_schema(result.supergraph_sdl)
    user = schema.get_type("User")
    assert isinstance(user, GraphQLObjectType)
    assert set(user.fields) == {"id", "name", "role"}
    role = schema.get_type("Role")
    assert isinstance(role, GraphQLEnumType)
    assert set(role.values) == {"ADMIN", "MEMBER"}
    assert schema.get_type("Audit") is None
    query = schema.query_type
    assert query is not None
    assert set(query.fields) == {"users"}
    assert set(query.fields["users"].args) == {"role"}


def test_machinery_is_removed() -> None:
    _, result = compose_fixture("pipeline")
    assert result.supergraph_sdl is not None
    sdl = api_schema_sdl(result.supergraph_sdl)
    for name in ("join__", "link__", "@link", "@join", "@tag", "@inaccessible"):
        assert name not in sdl
    assert "type Turn {" in sdl
    assert "  reply: Reply!" in sdl


def test_composed_directive_stays() -> None:
    _, result = compose_fixture("compose_directive")
    assert result.supergraph_sdl is not None
    schema = api_schema(result.supergraph_sdl)
    assert schema.get_directive("cacheControl") is not None
