"""Starlette endpoints: POST/GET /graphql and GET /health."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from router.errors import ErrorCode, graphql_error
from router.server.core import Router
from router.server.graphiql import graphiql_page

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
        if "query" not in params and router.settings.graphiql:
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
        variables: Any = None
        if params.get("variables"):
            try:
                variables = orjson.loads(params["variables"])
            except orjson.JSONDecodeError:
                return _bad("variables are not valid JSON", media)
        result = await router.execute(
            params.get("query"),
            params.get("operationName") or None,
            variables,
            expose_plan=expose,
            allow_mutation=False,
        )
    else:
        try:
            payload = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return _bad("body is not valid JSON", media)
        if not isinstance(payload, dict):
            return _bad("body must be a JSON object", media)
        result = await router.execute(
            payload.get("query"),
            payload.get("operationName") or None,
            payload.get("variables"),
            expose_plan=expose,
        )
    status = result.status
    if media == "application/json" and status == 400 and "errors" in result.body:
        # GraphQL over HTTP: application/json answers GraphQL errors with 200.
        status = 200 if result.body.get("errors") else status
    return _json(result.body, status, media)


def _bad(message: str, media: str) -> Response:
    return _json({"errors": [graphql_error(message, None, ErrorCode.BAD_REQUEST)]}, 400, media)
