"""The router's ASGI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from router.http.cors import CorsPlugin
from router.http.endpoint import GraphQLHttp, health_endpoint
from router.http.graphiql import assets_mount
from router.http.rest import rest_routes
from router.http.websocket import graphql_ws_endpoint
from router.request.pipeline import Router
from router.server import heap
from router.server.head_guard import GUARDED, request_done
from router.server.plugins import plugin_chain
from router.settings import RouterSettings
from router.telemetry import metrics_endpoint

__all__ = ["RouterApp", "create_router_app"]


def create_router_app(
    supergraph_sdl: str,
    *,
    settings: RouterSettings | None = None,
    http_client: httpx.AsyncClient | None = None,
) -> RouterApp:
    """Serve `supergraph_sdl` on /graphql; `app.state.router.reload(sdl)` swaps it live.

    `http_client` replaces the per-subgraph pooled clients (tests pass one with
    an ASGI transport). Raises `PluginError` when a plugin of `settings.plugins`
    cannot be loaded or its config is invalid.
    """
    settings = settings or RouterSettings()
    plugins = plugin_chain(settings)
    router = Router(
        supergraph_sdl,
        settings,
        http_client=http_client,
        on_reload=heap.refreeze,
        plugins=plugins,
    )
    graphql = GraphQLHttp(router)
    # plugins' ASGI middleware (CORS when origins are listed), outermost first
    layered = [p for p in plugins.plugins if p.middleware()]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await graphql.aclose()
        await router.aclose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_ws_endpoint),
            Route("/health", health_endpoint, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            assets_mount(),
            *rest_routes(graphql),  # REST endpoints and /openapi.json (router.yaml `rest:`)
        ],
        lifespan=lifespan,
        middleware=[m for p in layered for m in p.middleware()],
    )
    app.state.router = router
    for p in plugins.plugins:
        if isinstance(p, CorsPlugin):  # the WebSocket upgrade checks Origin against it
            app.state.ws_origin_allowed = p.allows_websocket
    return RouterApp(app, graphql, wraps=tuple(p.wraps for p in layered))


class RouterApp:
    """The Starlette app, with GraphQL-over-HTTP requests sent straight to their endpoint.

    Starlette's middleware and routing cost about a tenth of the router's CPU on a
    small query; only a request that needs them (one a plugin's middleware wants,
    e.g. CORS for a request with an `Origin`; any other path, method or a WebSocket)
    goes through them.
    """

    def __init__(
        self, app: Starlette, graphql: ASGIApp, *, wraps: tuple[Callable[[Scope], bool], ...]
    ) -> None:
        self.app = app
        self.state = app.state
        self._graphql = graphql
        #: per plugin with middleware: does this request need it
        self._wraps = wraps

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            if (
                scope["type"] == "http"
                and scope["path"] == "/graphql"
                and scope["method"] in ("POST", "GET")
                and not (self._wraps and self._wrapped(scope))
            ):
                await self._graphql(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            if GUARDED:  # connections' heads are guarded: the next one on this one is due
                request_done(scope)

    def _wrapped(self, scope: Scope) -> bool:
        return any(wraps(scope) for wraps in self._wraps)
