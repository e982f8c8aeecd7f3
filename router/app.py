"""The router's ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from router.security.cors import cors_middleware
from router.server.core import Router
from router.server.graphiql import assets_mount
from router.server.http import graphql_endpoint, health_endpoint
from router.server.websocket import graphql_ws_endpoint
from router.settings import RouterSettings
from router.telemetry import metrics_endpoint

__all__ = ["create_router_app"]


def create_router_app(
    supergraph_sdl: str,
    *,
    settings: RouterSettings | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> Starlette:
    """Serve `supergraph_sdl` on /graphql; `app.state.router.reload(sdl)` swaps it live.

    `http_client` replaces the per-subgraph pooled clients (tests pass one with
    an ASGI transport).
    """
    router = Router(supergraph_sdl, settings, http_client=http_client)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await router.aclose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_ws_endpoint),
            Route("/health", health_endpoint, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            assets_mount(),
        ],
        lifespan=lifespan,
        middleware=cors_middleware(router.settings.security.cors),
    )
    app.state.router = router
    return app
