"""`create_app`: a strawberry federation schema becomes a production-shaped ASGI app.

Every subgraph gets the same surface: `/graphql` (HTTP and graphql-transport-ws
subscriptions), `/health` (the process is alive), `/ready` (start-up hooks such
as model loading and warm-up have finished), `/metrics` (Prometheus). Parsing
and validation are cached on the query text (`subgraphs.kit.query_cache`), which
cuts strawberry's per-request cost several-fold; plain JSON POSTs take the lean
path of `subgraphs.kit.lean_graphql` (strawberry's `Schema.execute` without its
HTTP view: same answers for less; `CHORUS_LEAN_GRAPHQL=0` switches it off).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from observability import configure_logging, configure_tracing, tracing_enabled
from subgraphs.kit.access_log import AccessLog, AccessLogMiddleware, flush_seconds_from_env
from subgraphs.kit.compiled_execution import with_compiled_execution
from subgraphs.kit.heap import tune_heap
from subgraphs.kit.lean_graphql import LeanGraphQL, LeanRoute
from subgraphs.kit.metrics import metrics_endpoint
from subgraphs.kit.query_cache import is_query_cache, query_cache
from subgraphs.kit.readiness import Hook, Readiness
from subgraphs.kit.served_model import ServedModel

log = logging.getLogger("chorus.kit")

CACHE_SIZE = 1024


def _with_caches(schema: BaseSchema) -> None:
    """Cache parsing and validation: one `QueryCache` on a schema without other extensions,
    else strawberry's parser and validation caches unless the schema already has them."""
    present = tuple(getattr(schema, "extensions", ()))
    if any(is_query_cache(e) for e in present):
        return
    if not present:
        schema.extensions = (query_cache(CACHE_SIZE),)  # type: ignore[attr-defined]
        return
    names = {getattr(e, "__name__", type(e).__name__) for e in present}
    extra: list[Any] = []
    if "ParserCache" not in names:
        extra.append(lambda: ParserCache(maxsize=CACHE_SIZE))
    if "ValidationCache" not in names:
        extra.append(lambda: ValidationCache(maxsize=CACHE_SIZE))
    if extra:
        schema.extensions = (*present, *extra)  # type: ignore[attr-defined]


ContextValues = Mapping[str, Any] | Callable[[Request | WebSocket], Mapping[str, Any]]


class _ContextGraphQL(GraphQL):
    """Strawberry's ASGI app with the subgraph's own values in every request's context.

    Overriding `get_context` is strawberry's documented way to extend the context; the
    kit does it once so that no subgraph has to subclass strawberry's view.
    """

    def __init__(self, schema: BaseSchema, context: ContextValues | None, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self._values = context

    async def get_context(  # type: ignore[override]
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> dict[str, Any]:
        values = self._values
        extra = values(request) if callable(values) else values or {}
        return {"request": request, "response": response, **extra}


def create_app(
    schema: BaseSchema,
    *,
    name: str,
    context: ContextValues | None = None,
    models: Sequence[ServedModel[Any, Any, Any]] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    debug: bool = False,
    configure_logs: bool = False,
    access_log_flush_s: float | None = None,
) -> Starlette:
    """Serve `schema` as the subgraph `name`; readiness waits for `models` and `on_startup`.

    `context` adds values to every resolver's `info.context` (a mapping, or a function
    of the request returning one) next to strawberry's `request` and `response`.
    `models` are started first (registry lookup, load, warm-up, batching, following
    promotions) and `/ready` stays 503 while a required one serves no version, with
    the reason in its body; they stop after the `on_shutdown` hooks. The start-up
    hooks then prepare other resources (check tables), the shut-down hooks release them.

    Tracing continues the W3C trace context the router sends (`traceparent`), so a
    subgraph's spans join the router's trace; the exporter comes from the environment.
    Access log lines are written in batches every `access_log_flush_s` seconds (default:
    `CHORUS_ACCESS_LOG_FLUSH_S`, else 0.5; 0 writes each as its request ends), and
    what is pending at shutdown (`app.state.access_log.flush()`).
    """
    configure_tracing(name)
    if configure_logs:
        configure_logging(name)
    _with_caches(schema)
    compiled = with_compiled_execution(schema)
    if compiled is not None:
        log.info("compiled execution off: %s", compiled)
    access_log = AccessLog(
        flush_s=flush_seconds_from_env() if access_log_flush_s is None else access_log_flush_s
    )
    # The server span (continuing the router's traceparent) only when traces go somewhere:
    # the ASGI middleware costs ~0.2 ms a request.
    tracing = (
        [
            Middleware(
                OpenTelemetryMiddleware,
                excluded_urls="health,ready,metrics",
                exclude_spans=["receive", "send"],
            )
        ]
        if tracing_enabled()
        else []
    )
    graphql = _ContextGraphQL(
        schema,
        context,
        graphql_ide="graphiql",
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
    )
    lean = LeanGraphQL(graphql, enabled=os.environ.get("CHORUS_LEAN_GRAPHQL", "1") != "0")
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(f"subgraph {name} declares a served model twice: {names}")
    # the heap is tuned last, once the models and the start-up hooks have loaded theirs
    readiness = Readiness(name, [*(m.start for m in models), *on_startup, tune_heap], gates=models)

    async def health(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "subgraph": name})

    async def ready(_request: Request) -> JSONResponse:
        body: dict[str, Any] = {"subgraph": name, "ready": readiness.ready}
        if readiness.error:
            body["error"] = readiness.error
            body["permanent"] = readiness.permanent
        if readiness.ready_after_s is not None:
            body["ready_after_s"] = round(readiness.ready_after_s, 3)
        if models:
            body["models"] = [_model_status(m) for m in models]
        return JSONResponse(body, status_code=200 if readiness.ready else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        readiness.start()
        try:
            yield
        finally:
            await readiness.cancel()
            for hook in [*on_shutdown, *(m.stop for m in models)]:
                try:
                    await hook()
                except Exception:
                    log.exception("%s shutdown hook failed", name)
            access_log.flush()

    graphql_route = Route("/graphql", lean, methods=["GET", "POST"])
    app = Starlette(
        debug=debug,
        routes=[
            graphql_route,
            WebSocketRoute("/graphql", graphql),
            Route("/health", health),
            Route("/ready", ready),
            Route("/metrics", metrics_endpoint),
        ],
        middleware=[
            *tracing,
            Middleware(AccessLogMiddleware, subgraph=name, access=access_log),
            Middleware(LeanRoute, lean=lean, route=graphql_route),
        ],
        lifespan=lifespan,
    )
    app.state.readiness = readiness
    app.state.schema = schema
    app.state.lean = lean
    app.state.access_log = access_log
    app.state.models = {m.name: m for m in models}
    return app


def _model_status(model: ServedModel[Any, Any, Any]) -> dict[str, Any]:
    ref = model.ref
    status: dict[str, Any] = {
        "name": model.name,
        "version": ref.version if ref is not None else None,
        "ready": model.ready,
    }
    if model.error:
        status["error"] = model.error
    return status
