"""One shop, served twice over the same data: split into four federated subgraphs, and
as one monolithic strawberry schema (the differential test's oracle).

products:  Product @key(id) { name price category tags }, Query.products/product
inventory: Product { price @external, inStock, shippingEstimate @requires(price) }
reviews:   Review @key(id) { body rating product author @provides(name) },
           Product { reviews averageRating }, union FeedItem = Review | Product,
           Query.topReviews/feed
users:     User @key(id) { name @shareable, email (fails for one user) }, Query.users/me

Every resolver reads the module-level data through the same helper functions,
in both schemas, so the two can only differ where the router does.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.federation.schema_directives import Key

PRODUCTS: dict[str, dict[str, Any]] = {
    "p1": {"name": "Lamp", "price": 30, "category": "HOME", "tags": ["light", "desk"], "stock": 3},
    "p2": {"name": "Chair", "price": 120, "category": "OFFICE", "tags": [], "stock": 0},
    "p3": {"name": "Hose", "price": 15, "category": "GARDEN", "tags": ["water"], "stock": 9},
}
USERS: dict[str, dict[str, Any]] = {
    "u1": {"name": "Ada", "email": "ada@example.org"},
    "u2": {"name": "Grace", "email": None},
    "u3": {"name": "Linus", "email": "fail"},
}
REVIEWS: dict[str, dict[str, Any]] = {
    "r1": {"body": "Bright", "rating": 5, "product": "p1", "author": "u1"},
    "r2": {"body": "Wobbly", "rating": 2, "product": "p2", "author": "u3"},
    "r3": {"body": "Fine", "rating": 4, "product": "p1", "author": "u2"},
}
IDS = sorted([*PRODUCTS, *USERS, *REVIEWS, "nope"])


def _first(first: int | None) -> int:
    return max(0, min(first if first is not None else 10, 10))


def _email(uid: str) -> str | None:
    email = USERS[uid]["email"]
    if email == "fail":
        raise ValueError(f"email of {uid} is unavailable")
    return email  # type: ignore[no-any-return]


def _reviews_of(pid: str) -> list[str]:
    return [rid for rid, r in sorted(REVIEWS.items()) if r["product"] == pid]


def _average(pid: str) -> float | None:
    ratings = [REVIEWS[r]["rating"] for r in _reviews_of(pid)]
    return sum(ratings) / len(ratings) if ratings else None


def _shipping(price: int) -> int:
    return 1 + price // 50


def _feed() -> list[tuple[str, str]]:
    return [("review", "r2"), ("product", "p3"), ("review", "r1"), ("product", "p1")]


@strawberry.enum
class Category(Enum):
    HOME = "HOME"
    OFFICE = "OFFICE"
    GARDEN = "GARDEN"


# ================================================================== monolith
@strawberry.type(name="User")
class MUser:
    id: strawberry.ID

    @strawberry.field
    def name(self) -> str:
        return str(USERS[self.id]["name"])

    @strawberry.field
    def email(self) -> str | None:
        return _email(self.id)


@strawberry.type(name="Review")
class MReview:
    id: strawberry.ID

    @strawberry.field
    def body(self) -> str:
        return str(REVIEWS[self.id]["body"])

    @strawberry.field
    def rating(self) -> int:
        return int(REVIEWS[self.id]["rating"])

    @strawberry.field
    def product(self) -> MProduct:
        return MProduct(id=strawberry.ID(REVIEWS[self.id]["product"]))

    @strawberry.field
    def author(self) -> MUser:
        return MUser(id=strawberry.ID(REVIEWS[self.id]["author"]))


@strawberry.type(name="Product")
class MProduct:
    id: strawberry.ID

    @strawberry.field
    def name(self) -> str:
        return str(PRODUCTS[self.id]["name"])

    @strawberry.field
    def price(self) -> int:
        return int(PRODUCTS[self.id]["price"])

    @strawberry.field
    def category(self) -> Category:
        return Category(PRODUCTS[self.id]["category"])

    @strawberry.field
    def tags(self) -> list[str]:
        return list(PRODUCTS[self.id]["tags"])

    @strawberry.field
    def in_stock(self) -> bool:
        return bool(PRODUCTS[self.id]["stock"] > 0)

    @strawberry.field
    def shipping_estimate(self) -> int:
        return _shipping(PRODUCTS[self.id]["price"])

    @strawberry.field
    def reviews(self) -> list[MReview]:
        return [MReview(id=strawberry.ID(r)) for r in _reviews_of(self.id)]

    @strawberry.field
    def average_rating(self) -> float | None:
        return _average(self.id)


MFeedItem = Annotated[MReview | MProduct, strawberry.union("FeedItem")]


@strawberry.type(name="Query")
class MQuery:
    @strawberry.field
    def products(self, first: int | None = 10) -> list[MProduct]:
        return [MProduct(id=strawberry.ID(p)) for p in sorted(PRODUCTS)[: _first(first)]]

    @strawberry.field
    def product(self, id: strawberry.ID) -> MProduct | None:
        return MProduct(id=id) if id in PRODUCTS else None

    @strawberry.field
    def top_reviews(self, min_rating: int | None = 0) -> list[MReview]:
        floor = min_rating or 0
        return [
            MReview(id=strawberry.ID(r)) for r in sorted(REVIEWS) if REVIEWS[r]["rating"] >= floor
        ]

    @strawberry.field
    def feed(self) -> list[MFeedItem]:
        return [
            MReview(id=strawberry.ID(i)) if kind == "review" else MProduct(id=strawberry.ID(i))
            for kind, i in _feed()
        ]

    @strawberry.field
    def users(self) -> list[MUser]:
        return [MUser(id=strawberry.ID(u)) for u in sorted(USERS)]

    @strawberry.field
    def me(self) -> MUser | None:
        return MUser(id=strawberry.ID("u1"))


monolith = strawberry.Schema(query=MQuery)


# ================================================================== products
@strawberry.federation.type(name="Product", keys=["id"])
class PProduct:
    id: strawberry.ID

    @strawberry.field
    def name(self) -> str:
        return str(PRODUCTS[self.id]["name"])

    @strawberry.field
    def price(self) -> int:
        return int(PRODUCTS[self.id]["price"])

    @strawberry.field
    def category(self) -> Category:
        return Category(PRODUCTS[self.id]["category"])

    @strawberry.field
    def tags(self) -> list[str]:
        return list(PRODUCTS[self.id]["tags"])

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> PProduct:
        return cls(id=id)


@strawberry.type(name="Query")
class PQuery:
    @strawberry.field
    def products(self, first: int | None = 10) -> list[PProduct]:
        return [PProduct(id=strawberry.ID(p)) for p in sorted(PRODUCTS)[: _first(first)]]

    @strawberry.field
    def product(self, id: strawberry.ID) -> PProduct | None:
        return PProduct(id=id) if id in PRODUCTS else None


products = strawberry.federation.Schema(query=PQuery, types=[PProduct])


# ================================================================= inventory
@strawberry.federation.type(name="Product", keys=["id"])
class IProduct:
    id: strawberry.ID
    price: int | None = strawberry.federation.field(external=True, default=None, graphql_type=int)

    @strawberry.field
    def in_stock(self) -> bool:
        return bool(PRODUCTS[self.id]["stock"] > 0)

    @strawberry.federation.field(requires=["price"])
    def shipping_estimate(self) -> int:
        if self.price is None:
            raise ValueError("shippingEstimate resolved without its required price")
        return _shipping(self.price)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID, price: int | None = None) -> IProduct:
        return cls(id=id, price=price)


@strawberry.type(name="Query")
class IQuery:
    @strawberry.federation.field(inaccessible=True)
    def inventory_ok(self) -> bool:
        return True


inventory = strawberry.federation.Schema(query=IQuery, types=[IProduct])


# =================================================================== reviews
@strawberry.federation.type(name="User", keys=["id"])
class RUser:
    id: strawberry.ID
    name: str = strawberry.federation.field(external=True)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RUser:
        return cls(id=id, name=str(USERS[id]["name"]))


@strawberry.federation.type(name="Review", keys=["id"])
class RReview:
    id: strawberry.ID

    @strawberry.field
    def body(self) -> str:
        return str(REVIEWS[self.id]["body"])

    @strawberry.field
    def rating(self) -> int:
        return int(REVIEWS[self.id]["rating"])

    @strawberry.field
    def product(self) -> RProduct:
        return RProduct(id=strawberry.ID(REVIEWS[self.id]["product"]))

    @strawberry.federation.field(provides=["name"])
    def author(self) -> RUser:
        uid = REVIEWS[self.id]["author"]
        return RUser(id=strawberry.ID(uid), name=str(USERS[uid]["name"]))

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RReview:
        return cls(id=id)


@strawberry.federation.type(name="Product", keys=["id"])
class RProduct:
    id: strawberry.ID

    @strawberry.field
    def reviews(self) -> list[RReview]:
        return [RReview(id=strawberry.ID(r)) for r in _reviews_of(self.id)]

    @strawberry.field
    def average_rating(self) -> float | None:
        return _average(self.id)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RProduct:
        return cls(id=id)


RFeedItem = Annotated[RReview | RProduct, strawberry.union("FeedItem")]


@strawberry.type(name="Query")
class RQuery:
    @strawberry.field
    def top_reviews(self, min_rating: int | None = 0) -> list[RReview]:
        floor = min_rating or 0
        return [
            RReview(id=strawberry.ID(r)) for r in sorted(REVIEWS) if REVIEWS[r]["rating"] >= floor
        ]

    @strawberry.field
    def feed(self) -> list[RFeedItem]:
        return [
            RReview(id=strawberry.ID(i)) if kind == "review" else RProduct(id=strawberry.ID(i))
            for kind, i in _feed()
        ]


reviews = strawberry.federation.Schema(query=RQuery, types=[RReview, RProduct, RUser])


# ===================================================================== users
@strawberry.federation.type(name="User", keys=[Key(fields="id")])
class UUser:
    id: strawberry.ID

    @strawberry.federation.field(shareable=True)
    def name(self) -> str:
        return str(USERS[self.id]["name"])

    @strawberry.field
    def email(self) -> str | None:
        return _email(self.id)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> UUser:
        return cls(id=id)


@strawberry.type(name="Query")
class UQuery:
    @strawberry.field
    def users(self) -> list[UUser]:
        return [UUser(id=strawberry.ID(u)) for u in sorted(USERS)]

    @strawberry.field
    def me(self) -> UUser | None:
        return UUser(id=strawberry.ID("u1"))


users = strawberry.federation.Schema(query=UQuery, types=[UUser])

SUBGRAPHS = {"products": products, "inventory": inventory, "reviews": reviews, "users": users}
