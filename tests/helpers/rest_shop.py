"""A small shop subgraph for the router's REST tests: queries with scalar, enum and list
arguments, a mutation with an input object, and fields that fail with chosen error codes."""

from __future__ import annotations

from enum import Enum

import strawberry
from graphql import GraphQLError

from router.compose import SubgraphSource, compose
from tests.helpers.stream_subgraphs import sdl_of

SHOP_URL = "http://shop.test/graphql"


@strawberry.enum(description="What an item is.")
class Kind(Enum):
    BOOK = "BOOK"
    GAME = "GAME"


@strawberry.type(description="Something the shop sells.")
class Item:
    id: strawberry.ID
    name: str = strawberry.field(description="shown to customers")
    kind: Kind
    price: float
    tags: list[str]
    discount: float | None = None


ITEMS = [
    Item(id=strawberry.ID("1"), name="Dune", kind=Kind.BOOK, price=9.5, tags=["sf"]),
    Item(id=strawberry.ID("2"), name="Go", kind=Kind.GAME, price=30.0, tags=["board", "old"]),
    Item(id=strawberry.ID("3"), name="Emma", kind=Kind.BOOK, price=7.0, tags=[]),
]


@strawberry.input(description="A new item.")
class ItemInput:
    name: str
    kind: Kind
    price: float = strawberry.field(description="positive")
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class Query:
    @strawberry.field(description="Items, optionally of one kind or with any of these tags.")
    def items(
        self, kind: Kind | None = None, limit: int = 10, tags: list[str] | None = None
    ) -> list[Item]:
        found = [i for i in ITEMS if kind is None or i.kind == kind]
        if tags:
            found = [i for i in found if set(tags) & set(i.tags)]
        return found[:limit]

    @strawberry.field(description="One item by id, or null.")
    def item(self, id: strawberry.ID) -> Item | None:
        return next((i for i in ITEMS if i.id == id), None)

    @strawberry.field(description="Fails with the error code it is given.")
    def failing(self, code: str) -> str | None:
        raise GraphQLError(f"failing with {code}", extensions={"code": code})


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Add an item.")
    def add_item(self, input: ItemInput) -> Item:
        if input.price <= 0:
            raise GraphQLError("price must be positive", extensions={"code": "BAD_USER_INPUT"})
        return Item(
            id=strawberry.ID(str(len(ITEMS) + 1)),
            name=input.name,
            kind=input.kind,
            price=input.price,
            tags=list(input.tags),
        )


def shop_schema(*, mutations: bool = True) -> strawberry.federation.Schema:
    """The shop; without `mutations`, a read-only one (no `addItem`, no `ItemInput`)."""
    return strawberry.federation.Schema(query=Query, mutation=Mutation if mutations else None)


def shop_supergraph(*, mutations: bool = True) -> str:
    schema = shop_schema(mutations=mutations)
    result = compose([SubgraphSource("shop", SHOP_URL, sdl_of(schema))])
    assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
    return result.supergraph_sdl
