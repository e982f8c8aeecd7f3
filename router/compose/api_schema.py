"""The API schema of a composed supergraph, as a schema or as stable SDL.

Built by the router's own builder (`router/supergraph/api_schema.py`), so
`chorus compose` and the router agree on what clients see.
"""

from __future__ import annotations

from graphql import GraphQLSchema, lexicographic_sort_schema, parse, print_schema

from router.supergraph.api_schema import build_api_schema

__all__ = ["api_schema", "api_schema_sdl", "normalized_sdl"]


def api_schema(supergraph_sdl: str) -> GraphQLSchema:
    """Build the API schema of a supergraph (raises GraphQLError if the SDL is invalid)."""
    return build_api_schema(parse(supergraph_sdl), assume_valid_sdl=False)


def api_schema_sdl(supergraph_sdl: str) -> str:
    """The API schema printed in a stable, lexicographically sorted form."""
    return print_schema(lexicographic_sort_schema(api_schema(supergraph_sdl)))


def normalized_sdl(schema: GraphQLSchema) -> str:
    return print_schema(lexicographic_sort_schema(schema))
