"""What the HTTP endpoint does around `Router.execute` for hardening.

`admit` turns a request into checked operations or an error response:

    406 Accept        415 Content-Type       400 CSRF_ERROR
    413 body size     400 JSON / shape / batch size
    401 AUTH_ERROR    429 REQUEST_RATE_LIMITED (+ Retry-After)

`execute_admitted` runs them (persisted queries resolved, within the router
deadline: 504 GATEWAY_TIMEOUT) with the request context set for the
authorizer and the subgraph clients, and redacts subgraph errors in
production mode.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response

from router.auth.jwt import AuthError
from router.context import RequestContext, current_request
from router.deadline import within
from router.errors import ErrorCode, graphql_error
from router.limits.payload import GraphQLRequest, RequestRejected, parse_get, parse_post, read_body
from router.persisted.resolve import PersistedQueryRejected
from router.security.csrf import csrf_message, is_preflighted
from router.security.negotiation import accepts_json, is_json_content_type
from router.security.redaction import redact_subgraph_errors
from router.server.core import GraphQLResponse
from router.server.request import HttpRequest

if TYPE_CHECKING:
    from router.server.core import Router

__all__ = ["Admitted", "admit", "execute_admitted"]


@dataclass(slots=True)
class Admitted:
    operations: list[GraphQLRequest]
    batch: bool
    context: RequestContext


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [graphql_error(message, None, code)]}
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


async def admit(request: HttpRequest, router: Router) -> Admitted | Response:
    settings = router.settings
    guards = router.guards
    headers = request.headers
    if not accepts_json(headers.get("accept")):
        return _error(
            406,
            "'accept' header must name application/json, application/graphql-response+json, "
            "multipart/mixed, text/event-stream or */*",
            ErrorCode.INVALID_ACCEPT_HEADER,
        )
    if settings.csrf_enabled and not is_preflighted(
        headers, settings.security.csrf.required_headers
    ):
        return _error(
            400, csrf_message(settings.security.csrf.required_headers), ErrorCode.CSRF_ERROR
        )
    try:
        if request.method == "GET":
            ops, batch = [parse_get(request.query_params)], False
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
                settings.limits.http_max_request_bytes,
            )
            ops, batch = parse_post(raw, settings.limits.max_batch_size)
    except RequestRejected as exc:
        return _error(exc.status, str(exc), exc.code, exc.headers)
    claims: dict[str, Any] | None = None
    if guards.authenticator is not None:
        try:
            claims = await guards.authenticator.authenticate(headers)
        except AuthError as exc:
            if settings.auth.jwt is None or settings.auth.jwt.on_error == "error":
                return _error(401, str(exc), ErrorCode.AUTH_ERROR, {"www-authenticate": "Bearer"})
    if claims is None and settings.auth.authorization.require_authentication:
        return _error(
            401,
            "this endpoint requires authentication",
            ErrorCode.AUTH_ERROR,
            {"www-authenticate": "Bearer"},
        )
    if guards.rate_limiter is not None:
        wait = guards.rate_limiter.acquire(_client_key(request, router), len(ops))
        if wait is not None:
            return _error(
                429,
                "Your request has been rate limited",
                ErrorCode.REQUEST_RATE_LIMITED,
                {"retry-after": str(wait)},
            )
    ctx = RequestContext(headers, claims)
    return Admitted(ops, batch, ctx)


def _client_key(request: HttpRequest, router: Router) -> str:
    rl = router.settings.traffic.rate_limit
    if rl is not None and rl.key_header:
        v = request.headers.get(rl.key_header.lower())
        if v:
            return "h:" + v
    return "ip:" + (request.client_host or "unknown")


#: runs one operation, given its (persisted-query resolved) text
Run = Callable[[GraphQLRequest, str | None], Awaitable[GraphQLResponse | Response]]


async def execute_admitted(
    router: Router, admitted: Admitted, run: Run
) -> list[GraphQLResponse | Response] | GraphQLResponse:
    """One response per operation, or one for the whole request (504 past the deadline)."""
    token = current_request.set(admitted.context)
    try:
        with within(router.settings.traffic.router_timeout_s):
            ops = admitted.operations
            if len(ops) == 1:  # the usual case, without a comprehension's frame
                return [await _one(router, ops[0], run)]
            return [await _one(router, op, run) for op in ops]
    except TimeoutError:
        message = "Your request has been timed out"
        return GraphQLResponse(
            504, {"errors": [graphql_error(message, None, ErrorCode.GATEWAY_TIMEOUT)]}
        )
    finally:
        current_request.reset(token)


async def _one(router: Router, op: GraphQLRequest, run: Run) -> GraphQLResponse | Response:
    try:
        query = router.guards.persisted.resolve(op.query, op.extensions)
    except PersistedQueryRejected as exc:
        return GraphQLResponse(exc.status, {"errors": [exc.error]})
    result = await run(op, query)
    if isinstance(result, GraphQLResponse) and not router.settings.subgraph_errors_included:
        errors = result.body.get("errors")
        if errors:
            ctx = current_request.get()
            result.body["errors"] = redact_subgraph_errors(errors, ctx.trace_id if ctx else "")
    return result
