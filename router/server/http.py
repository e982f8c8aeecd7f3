"""The GraphQL-over-HTTP endpoint (POST/GET /graphql) as a plain ASGI app, and GET /health.

`GraphQLHttp` is the router's hot path: `router.app` sends `/graphql` requests
straight to it, not through Starlette's middleware, routing and `Request`
objects (about a tenth of the router's CPU on a small federated query, py-spy
in bench/router). Requests that need a middleware
(CORS, when it is configured and the request carries an `Origin`) reach the
same app through Starlette's stack.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send

from router.errors import ErrorCode, graphql_error, is_policy_rejection
from router.security.front_door import admit, execute_admitted
from router.server.core import GraphQLResponse, Router
from router.server.graphiql import graphiql_page
from router.server.request import HttpRequest
from router.server.transports import respond

__all__ = ["GraphQLHttp", "health_endpoint"]

log = logging.getLogger("chorus.router")

EXPOSE_PLAN_HEADER = "chorus-expose-query-plan"
_JSON = b"application/json"
_GRAPHQL_JSON = b"application/graphql-response+json"


async def health_endpoint(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


def _media_type(accept: str) -> bytes:
    if "application/graphql-response+json" in accept and "application/json" not in accept:
        return _GRAPHQL_JSON
    return _JSON


async def _send_json(
    send: Send,
    body: Any,
    status: int = 200,
    media: bytes = _JSON,
) -> None:
    payload = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class GraphQLHttp:
    """POST and GET /graphql for one `Router` (an ASGI app)."""

    def __init__(self, router: Router) -> None:
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self._handle(HttpRequest(scope, receive), scope, send)
        except Exception:
            log.exception("unhandled error serving %s %s", scope["method"], scope["path"])
            error = graphql_error("internal server error", None, ErrorCode.INTERNAL_SERVER_ERROR)
            # The server refuses a second response start: then the client sees the cut.
            with contextlib.suppress(RuntimeError):
                await _send_json(send, {"errors": [error]}, 500)

    async def _handle(self, request: HttpRequest, scope: Scope, send: Send) -> None:
        router = self.router
        method = request.method
        headers = request.headers
        accept = headers.get("accept", "")
        media = _media_type(accept)
        expose = (
            router.settings.dev and headers.get(EXPOSE_PLAN_HEADER, "").strip().lower() == "true"
        )
        if method == "GET" and router.settings.graphiql_enabled and "text/html" in accept:
            if "query" not in request.query_params:
                page = HTMLResponse(
                    graphiql_page(
                        endpoint=request.path,
                        default_query=router.settings.graphiql_default_query,
                        default_headers=(
                            {"Chorus-Expose-Query-Plan": "true"} if router.settings.dev else None
                        ),
                    )
                )
                await page(scope, request.receive, send)
                return
        # CSRF, Accept, body size, JSON shape, batch size, JWT, rate limit (router/security)
        admitted = await admit(request, router)
        if isinstance(admitted, Response):
            await admitted(scope, request.receive, send)
            return
        if admitted.batch:
            accept = "application/json"
        results = await execute_admitted(
            router,
            admitted,
            lambda op, query: respond(
                router,
                accept,
                query,
                op.operation_name,
                op.variables,
                expose_plan=expose,
                allow_mutation=method == "POST",
            ),
        )
        if isinstance(results, GraphQLResponse):  # the router deadline passed
            await _send_json(send, results.body, results.status, media)
            return
        if admitted.batch:
            bodies = [r.body for r in results if isinstance(r, GraphQLResponse)]
            await _send_json(send, bodies, 200, media)
            return
        result = results[0]
        if isinstance(result, Response):  # streamed: SSE or multipart (subscriptions, @defer)
            await result(scope, request.receive, send)
            return
        status = result.status
        if (
            media == _JSON
            and status == 400
            and "errors" in result.body
            and not is_policy_rejection(result.body)  # limits, CSRF, safelist keep their 400
        ):
            # GraphQL over HTTP: application/json answers GraphQL errors with 200.
            status = 200 if result.body.get("errors") else status
        await _send_json(send, result.body, status, media)
