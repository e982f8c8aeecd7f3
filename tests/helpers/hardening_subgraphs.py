"""The two strawberry subgraphs behind tests/router/fixtures/shop.graphql.

products: Query.products/product/me/version, Mutation.deleteProduct, Product.name/cost/related
reviews:  Query.review/reviews, Mutation.addReview, Product.reviewCount (entity field)
"""

from __future__ import annotations

from typing import Any

import strawberry

PRODUCTS = {
    "1": {"id": "1", "name": "Table", "cost": 100},
    "2": {"id": "2", "name": "Chair", "cost": 40},
}
REVIEWS: dict[str, dict[str, Any]] = {"r1": {"id": "r1", "body": "solid", "stars": 5}}
DELETED: list[str] = []


def reset() -> None:
    DELETED.clear()
    REVIEWS.clear()
    REVIEWS["r1"] = {"id": "r1", "body": "solid", "stars": 5}


# ------------------------------------------------------------------ products
@strawberry.federation.type(name="Product", keys=["id"])
class PProduct:
    id: strawberry.ID
    name: str
    cost: int | None

    @strawberry.field
    def related(self) -> list[PProduct]:
        return [_product(k) for k in PRODUCTS if k != self.id]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> PProduct:
        return _product(str(id))


def _product(pid: str) -> PProduct:
    p = PRODUCTS[pid]
    return PProduct(id=strawberry.ID(p["id"]), name=p["name"], cost=p["cost"])


@strawberry.type(name="User")
class User:
    id: strawberry.ID
    name: str
    email: str | None
    secret: str


@strawberry.type(name="Query")
class PQuery:
    @strawberry.field
    def products(self) -> list[PProduct]:
        return [_product(k) for k in PRODUCTS]

    @strawberry.field
    def product(self, id: strawberry.ID) -> PProduct | None:
        return _product(str(id)) if str(id) in PRODUCTS else None

    @strawberry.field
    def me(self) -> User:
        return User(id=strawberry.ID("u1"), name="Ada", email="ada@example.com", secret="s3")

    @strawberry.field
    def version(self) -> str:
        return "p1"


@strawberry.type(name="Mutation")
class PMutation:
    @strawberry.mutation
    def delete_product(self, id: strawberry.ID) -> bool:
        DELETED.append(str(id))
        return True


products_schema = strawberry.federation.Schema(
    query=PQuery, mutation=PMutation, types=[PProduct, User]
)


# ------------------------------------------------------------------- reviews
@strawberry.federation.type(name="Product", keys=["id"])
class RProduct:
    id: strawberry.ID

    @strawberry.field
    def review_count(self) -> int:
        return 3 if self.id == "1" else 0

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RProduct:
        return cls(id=id)


@strawberry.type(name="Review")
class Review:
    id: strawberry.ID
    body: str
    stars: int | None


@strawberry.type(name="Query")
class RQuery:
    @strawberry.field
    def review(self, id: strawberry.ID) -> Review | None:
        r = REVIEWS.get(str(id))
        return Review(**r) if r else None

    @strawberry.field
    def reviews(self, first: int | None = None) -> list[Review]:
        out = [Review(**r) for r in REVIEWS.values()]
        return out[:first] if first is not None else out


@strawberry.type(name="Mutation")
class RMutation:
    @strawberry.mutation
    def add_review(self, body: str, stars: int | None = None) -> Review:
        rid = f"r{len(REVIEWS) + 1}"
        REVIEWS[rid] = {"id": rid, "body": body, "stars": stars}
        return Review(**REVIEWS[rid])


reviews_schema = strawberry.federation.Schema(query=RQuery, mutation=RMutation, types=[RProduct])

SCHEMAS = {"products": products_schema, "reviews": reviews_schema}
