"""Admission: what the HTTP stage checks before any GraphQL is looked at.

`Admission.admit` turns a request into checked operations or an error response:

    406 Accept        (http_request hooks: 400 CSRF_ERROR)
    415 Content-Type  413 body size     400 JSON / shape / batch size
    (http_operations hooks: 401 AUTH_ERROR, 429 REQUEST_RATE_LIMITED + Retry-After, APQ)

The admitted operations carry the request context (headers, JWT claims) that
the later stages read. Plugins' `http_request` hooks run before the body is
read, `http_operations` hooks once it is parsed; a `Reject` is the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from starlette.responses import Response

from router.context import RequestContext
from router.errors import ErrorCode, graphql_error
from router.http.negotiation import accepts_json, is_json_content_type
from router.http.payload import RequestRejected, parse_get, parse_post, read_body
from router.http.request import HttpRequest
from router.plugins import GraphQLOperation, HttpRequestContext, PluginChain, Reject
from router.settings import RouterSettings

__all__ = ["Admission", "Admitted"]


@dataclass(slots=True)
class Admitted:
    operations: list[GraphQLOperation]
    batch: bool
    context: RequestContext


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [graphql_error(message, None, code)]}
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def _rejected(r: Reject) -> Response:
    return Response(
        orjson.dumps(r.body), status_code=r.status, media_type="application/json", headers=r.headers
    )


class Admission:
    """The HTTP stage's checks, built once from `RouterSettings`."""

    def __init__(self, settings: RouterSettings, plugins: PluginChain | None = None) -> None:
        self.settings = settings
        self.plugins = plugins if plugins is not None else PluginChain()

    async def admit(self, request: HttpRequest) -> Admitted | Response:
        settings = self.settings
        headers = request.headers
        if not accepts_json(headers.get("accept")):
            return _error(
                406,
                "'accept' header must name application/json, application/graphql-response+json, "
                "multipart/mixed, text/event-stream or */*",
                ErrorCode.INVALID_ACCEPT_HEADER,
            )
        ctx = RequestContext(headers)
        hooks = self.plugins
        hctx: HttpRequestContext | None = None
        if hooks.http_request:
            hctx = HttpRequestContext(
                request.method, request.path, headers, request.client_host, ctx
            )
            try:
                for hook in hooks.http_request:
                    await hook(hctx)
            except Reject as r:
                return _rejected(r)
        try:
            limits = settings.limits
            if request.method == "GET":
                op = parse_get(request.query_params, limits.http_max_variables_bytes)
                ops, batch = [op], False
            else:
                ctype = headers.get("content-type")
                if ctype is not None and not is_json_content_type(ctype):
                    return _error(
                        415,
                        "'content-type' header must be application/json",
                        ErrorCode.INVALID_CONTENT_TYPE_HEADER,
                    )
                raw = await read_body(
                    headers.get("content-length"),
                    request.receive,
                    limits.http_max_request_bytes,
                    limits.http_body_read_timeout_s,
                )
                ops, batch = parse_post(raw, limits.max_batch_size, limits.http_max_variables_bytes)
        except RequestRejected as exc:
            return _error(exc.status, str(exc), exc.code, exc.headers)
        if hooks.http_operations:
            if hctx is None:
                hctx = HttpRequestContext(
                    request.method, request.path, headers, request.client_host, ctx
                )
            hctx.operations, hctx.batch = ops, batch
            try:
                for hook in hooks.http_operations:
                    await hook(hctx)
            except Reject as r:
                return _rejected(r)
            ops = hctx.operations
        return Admitted(ops, batch, ctx)

    async def admit_operations(
        self, request: HttpRequest, operations: list[GraphQLOperation]
    ) -> Admitted:
        """Operations built from another request shape (the REST endpoints).

        The `http_operations` hooks run as for `/graphql` (authentication, rate limit,
        persisted queries, the user's plugins); a refusal raises the plugin's `Reject` for
        the caller to answer in its own format. The `http_request` hooks are about
        GraphQL-over-HTTP requests (CSRF prevention for GraphQL GETs and simple POSTs) and
        see only `/graphql`: a REST POST must carry a JSON body, which no cross-site form
        can send, and what a REST request runs is fixed by the router's configuration.
        """
        ctx = RequestContext(request.headers)
        hooks = self.plugins
        if hooks.http_operations:
            hctx = HttpRequestContext(
                request.method, request.path, request.headers, request.client_host, ctx
            )
            hctx.operations, hctx.batch = operations, False
            for hook in hooks.http_operations:
                await hook(hctx)
            operations = hctx.operations
        return Admitted(operations, False, ctx)

    async def aclose(self) -> None:
        pass
