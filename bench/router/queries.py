"""The benchmark's client queries, the answers they must get, and the supergraph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.router.subgraphs import SDL, product, reviews_of, user
from router.compose import SubgraphSource, compose

__all__ = ["QUERIES", "Query", "supergraph_sdl"]


@dataclass(frozen=True)
class Query:
    key: str
    title: str
    text: str
    #: every response under load must contain this (only the last hop's data has it)
    marker: str
    #: the same operation sent straight to a subgraph (the pass-through baseline)
    subgraph: str | None = None

    def expected(self, uid: str) -> dict[str, Any]:
        """The response body every gateway must return for `{"id": uid}`."""
        u = user(uid)
        if self.key == "pass":
            return {"data": {"user": u}}
        reviews: list[dict[str, Any]] = []
        for r in reviews_of(uid):
            out: dict[str, Any] = {"id": r["id"], "body": r["body"]}
            if self.key == "join3":
                p = product(r["product"]["upc"])
                out["product"] = {"upc": p["upc"], "name": p["name"], "price": p["price"]}
            reviews.append(out)
        return {"data": {"user": {"id": uid, "name": u["name"], "reviews": reviews}}}


QUERIES: tuple[Query, ...] = (
    Query(
        "pass",
        "pass-through (users)",
        "query User($id: ID!) { user(id: $id) { id name username } }",
        marker='"username":"@user',
        subgraph="users",
    ),
    Query(
        "join2",
        "2-subgraph join (users → reviews)",
        "query UserReviews($id: ID!) { user(id: $id) { id name reviews { id body } } }",
        marker='"body":"Review 2 by ',
    ),
    Query(
        "join3",
        "3-subgraph join (users → reviews → products)",
        "query UserReviewProducts($id: ID!) { user(id: $id) { id name "
        "reviews { id body product { upc name price } } } }",
        marker='"name":"Product p',
    ),
)


def supergraph_sdl(subgraphs_url: str) -> str:
    """Compose the three subgraphs (served under `subgraphs_url/<name>`) with router.compose."""
    result = compose(
        [SubgraphSource(name, f"{subgraphs_url}/{name}", sdl) for name, sdl in SDL.items()]
    )
    if not result.ok or result.supergraph_sdl is None:
        raise RuntimeError("composition failed: " + "; ".join(map(str, result.errors)))
    return result.supergraph_sdl
