"""Starlette endpoints: POST/GET /graphql and GET /health."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from router.errors import ErrorCode, graphql_error
from router.security.codes import is_policy_rejection
from router.security.front_door import admit, execute_admitted
from router.server.core import GraphQLResponse, Router
from router.server.graphiql import graphiql_page
from router.server.transports import respond

__all__ = ["graphql_endpoint", "health_endpoint"]

EXPOSE_PLAN_HEADER = "chorus-expose-query-plan"


def _json(body: dict[str, Any], status: int = 200, media: str = "application/json") -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=media)


def _router(request: Request) -> Router:
    router: Router = request.app.state.router
    return router


def _media_type(request: Request) -> str:
    accept = request.headers.get("accept", "")
    if "application/graphql-response+json" in accept and "application/json" not in accept:
        return "application/graphql-response+json"
    return "application/json"


async def health_endpoint(request: Request) -> Response:
    return _json({"status": "ok"})


async def graphql_endpoint(request: Request) -> Response:
    router = _router(request)
    media = _media_type(request)
    expose = (
        router.settings.dev
        and request.headers.get(EXPOSE_PLAN_HEADER, "").strip().lower() == "true"
    )
    if request.method == "GET":
        params = request.query_params
        if "query" not in params and router.settings.graphiql_enabled:
            if "text/html" in request.headers.get("accept", ""):
                return HTMLResponse(
                    graphiql_page(
                        endpoint=str(request.url.path),
                        default_query=router.settings.graphiql_default_query,
                        default_headers=(
                            {"Chorus-Expose-Query-Plan": "true"} if router.settings.dev else None
                        ),
                    )
                )
    # CSRF, Accept, body size, JSON shape, batch size, JWT, rate limit (router/security)
    admitted = await admit(request, router)
    if isinstance(admitted, Response):
        return admitted
    accept = "application/json" if admitted.batch else request.headers.get("accept", "")
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
            allow_mutation=request.method == "POST",
        ),
    )
    if isinstance(results, GraphQLResponse):  # the router deadline passed
        return _json(results.body, results.status, media)
    if admitted.batch:
        bodies = [r.body for r in results if isinstance(r, GraphQLResponse)]
        return Response(orjson.dumps(bodies), media_type=media)
    result = results[0]
    if isinstance(result, Response):
        return result  # streamed: SSE or multipart (subscriptions, @defer)
    status = result.status
    if (
        media == "application/json"
        and status == 400
        and "errors" in result.body
        and not is_policy_rejection(result.body)  # limits, CSRF, safelist keep their 400
    ):
        # GraphQL over HTTP: application/json answers GraphQL errors with 200.
        status = 200 if result.body.get("errors") else status
    return _json(result.body, status, media)


def _bad(message: str, media: str) -> Response:
    return _json({"errors": [graphql_error(message, None, ErrorCode.BAD_REQUEST)]}, 400, media)
