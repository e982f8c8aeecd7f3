"""Router harness over the shop (tests/router/fixtures/shop.graphql): the router in-process,
its subgraphs on real sockets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from tests.helpers.hardening_server import SubgraphServer

SHOP = (Path(__file__).resolve().parents[1] / "router" / "fixtures" / "shop.graphql").read_text()


def shop_sdl(server: SubgraphServer, **urls: str) -> str:
    return SHOP.replace("{PRODUCTS_URL}", urls.get("products", server.url("products"))).replace(
        "{REVIEWS_URL}", urls.get("reviews", server.url("reviews"))
    )


class Harness:
    """A router app (in-process, ASGI) whose subgraphs are real sockets."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.router = app.state.router
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=("10.0.0.7", 1234)),
            base_url="http://router",
        )

    async def post(
        self,
        query: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> httpx.Response:
        body = dict(extra)
        if query is not None:
            body["query"] = query
        return await self.client.post("/graphql", json=body, headers=headers)

    async def data(self, query: str, **extra: Any) -> dict[str, Any]:
        resp = await self.post(query, **extra)
        assert resp.status_code == 200, resp.text
        out: dict[str, Any] = resp.json()
        return out

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.router.aclose()


MakeRouter = Callable[..., Awaitable[Harness]]


def codes(body: Any) -> list[str]:
    """The extensions.code of every error in a response body (asserting each has a message)."""
    out = []
    for e in body.get("errors", []):
        assert isinstance(e.get("message"), str) and e["message"], e
        out.append(e.get("extensions", {}).get("code"))
    return out
