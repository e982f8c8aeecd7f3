"""The GraphQL-over-HTTP endpoint (POST/GET /graphql) as a plain ASGI app, and GET /health.

`GraphQLHttp` is the router's hot path: `router.server.app` sends `/graphql` requests
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

from router.context import RequestContext, current_request
from router.deadline import within
from router.errors import ErrorCode, graphql_error, is_policy_rejection
from router.http.admission import Admission, Admitted
from router.http.graphiql import graphiql_page
from router.http.request import HttpRequest
from router.http.transports import respond
from router.plugins import GraphQLOperation, HttpResponseContext
from router.plugins.service import GraphQLResponse
from router.request.pipeline import Router

__all__ = ["GraphQLHttp", "health_endpoint"]

log = logging.getLogger("chorus.router")

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
    extra: dict[str, str] | None = None,
) -> None:
    payload = orjson.dumps(body)
    headers = [(b"content-type", media), (b"content-length", str(len(payload)).encode())]
    if extra:
        headers.extend((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items())
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


class GraphQLHttp:
    """POST and GET /graphql for one `Router` (an ASGI app)."""

    def __init__(self, router: Router) -> None:
        self.router = router
        #: CSRF, Accept, body size, JSON shape, batch size, JWT, rate limit
        self.admission = Admission(router.settings, router.plugins)
        self._on_response = router.plugins.http_response

    async def aclose(self) -> None:
        await self.admission.aclose()

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
        admitted = await self.admission.admit(request)
        if isinstance(admitted, Response):
            await admitted(scope, request.receive, send)
            return
        if admitted.batch:
            accept = "application/json"
        results = await self.run_operations(admitted, accept, method == "POST")
        reply = self._reply
        if isinstance(results, GraphQLResponse):  # the router deadline passed
            await reply(send, results.body, results.status, media, admitted.context)
            return
        if admitted.batch:
            bodies = [r.body for r in results if isinstance(r, GraphQLResponse)]
            await reply(send, bodies, 200, media, admitted.context)
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
        if self._on_response:
            await reply(send, result.body, status, media, admitted.context)
        else:  # the usual case, without the hooks' frame
            await _send_json(send, result.body, status, media)

    async def _reply(
        self, send: Send, body: Any, status: int, media: bytes, request: RequestContext
    ) -> None:
        """Send a JSON answer, after the `http_response` hooks when there are some."""
        if not self._on_response:
            await _send_json(send, body, status, media)
            return
        ctx = HttpResponseContext(status, body, request, {})
        for hook in self._on_response:
            await hook(ctx)
        await _send_json(send, ctx.body, ctx.status, media, ctx.headers)

    async def run_operations(
        self, admitted: Admitted, accept: str, allow_mutation: bool
    ) -> list[GraphQLResponse | Response] | GraphQLResponse:
        """One response per operation, or one for the whole request (504 past the deadline).

        The operations run with the request context set (for the authorizer and the
        subgraph calls) and within the router deadline.
        """
        token = current_request.set(admitted.context)
        try:
            with within(self.router.settings.traffic.router_timeout_s) as scope:
                ops = admitted.operations
                if len(ops) == 1:  # the usual case, without a comprehension's frame
                    return [await self._one(ops[0], accept, allow_mutation, scope.when)]
                return [await self._one(op, accept, allow_mutation, scope.when) for op in ops]
        except TimeoutError:
            message = "Your request has been timed out"
            return GraphQLResponse(
                504, {"errors": [graphql_error(message, None, ErrorCode.GATEWAY_TIMEOUT)]}
            )
        finally:
            current_request.reset(token)

    async def _one(
        self, op: GraphQLOperation, accept: str, allow_mutation: bool, deadline: float
    ) -> GraphQLResponse | Response:
        """Run one operation (or answer its rejection by a hook); JSON answers then pass the
        `graphql_response` hooks. A streamed answer keeps the router `deadline`."""
        router = self.router
        if op.rejection is not None:  # by an `http_operations` hook
            return GraphQLResponse(op.rejection.status, op.rejection.body)
        result = await respond(
            router,
            accept,
            op.query,
            op.operation_name,
            op.variables,
            allow_mutation=allow_mutation,
            deadline=deadline,
        )
        if isinstance(result, GraphQLResponse) and router.plugins.graphql_response:
            result = await router.finish(result)
        return result
