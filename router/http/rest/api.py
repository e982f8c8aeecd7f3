"""The REST endpoints: a REST request in, a GraphQL request through the /graphql pipeline, a
REST answer out.

Each request is authenticated and rate-limited by the same `Admission` as /graphql,
its parameters and body become the operation's variables, and the operation runs
through `GraphQLHttp.run_operations` (persisted queries, limits, authorization,
planning, execution, redaction: nothing is done twice or differently). The answer
is the operation's result field as JSON, or a problem document whose status
follows the errors' codes (`errors.py`).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from graphql import GraphQLSchema
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from router.errors import ErrorCode, graphql_error
from router.http.endpoint import GraphQLHttp
from router.http.negotiation import is_json_content_type
from router.http.payload import RequestRejected, read_body
from router.http.request import HttpRequest
from router.http.rest.errors import STATUS_BY_CODE, problem, status_of
from router.http.rest.openapi import openapi_document
from router.http.rest.operation import (
    BoundOperation,
    OperationUnfit,
    PreparedOperation,
    bind,
    prepare,
)
from router.http.rest.params import ParamError, read_param
from router.plugins import GraphQLOperation, Reject
from router.plugins.service import GraphQLResponse
from router.request.persisted.manifest import Manifest
from router.request.pipeline import Snapshot

__all__ = ["RestApi"]

log = logging.getLogger("chorus.router.rest")


class RestApi:
    """The configured endpoints of one router, bound to its current supergraph.

    A malformed operation stops the router when the API is built (`RestConfigError`).
    One that does not fit the supergraph (e.g. the fraud endpoints when the stack runs
    only the concierge) disables its endpoint with a warning: it answers 404 and is
    left out of the OpenAPI document. The operations are bound again after each
    supergraph reload, on the next request, so an endpoint comes back when a reloaded
    supergraph has what it needs.
    """

    def __init__(self, graphql: GraphQLHttp) -> None:
        self.graphql = graphql
        self.router = graphql.router
        self.settings = self.router.settings.rest
        self.by_code = {**STATUS_BY_CODE, **self.settings.error_status}
        pq = self.router.settings.persisted_queries  # the safelist endpoints may name by id
        manifest = Manifest.load(pq.manifest) if pq.manifest else None
        self._prepared = tuple(prepare(e, manifest) for e in self.settings.endpoints)
        self._snapshot: Snapshot | None = None
        self._bound: tuple[BoundOperation | OperationUnfit, ...] = ()
        self._document: bytes | None = None
        self.bound()  # warns now about the endpoints this supergraph disables

    def bound(self) -> tuple[BoundOperation | OperationUnfit, ...]:
        """Per endpoint: its operation bound to the current supergraph, or why it is disabled."""
        snap = self.router.snapshot
        if snap is not self._snapshot:
            schema = snap.documents.schema
            previous = self._bound
            self._bound = tuple(_bind(p, schema) for p in self._prepared)
            self._document = None
            self._snapshot = snap
            _log_changes(self._prepared, previous, self._bound)
        return self._bound

    def openapi(self) -> bytes:
        bound = tuple(b for b in self.bound() if isinstance(b, BoundOperation))
        if self._document is None:
            schema = self.router.snapshot.documents.schema
            self._document = orjson.dumps(openapi_document(self.settings, bound, schema))
        return self._document

    def routes(self) -> list[BaseRoute]:
        routes: list[BaseRoute] = [
            Route(e.path, _Endpoint(self, i), methods=[e.method])
            for i, e in enumerate(self.settings.endpoints)
        ]
        if self.settings.openapi_path is not None and routes:
            routes.append(Route(self.settings.openapi_path, self._openapi, methods=["GET"]))
        return routes

    async def _openapi(self, request: Request) -> Response:
        return Response(self.openapi(), media_type="application/json")

    async def serve(self, index: int, scope: Scope, receive: Receive, send: Send) -> None:
        op = self.bound()[index]
        if isinstance(op, OperationUnfit):
            where = self._prepared[index].where
            message = f"{where} is disabled: it does not fit this router's supergraph ({op})"
            response = problem(404, [graphql_error(message, None, "NOT_FOUND")])
        else:
            try:
                response = await self._answer(op, HttpRequest(scope, receive), scope)
            except RequestRejected as exc:
                error = graphql_error(str(exc), None, exc.code)
                response = problem(exc.status, [error], headers=exc.headers)
        await response(scope, receive, send)

    async def _answer(self, op: BoundOperation, request: HttpRequest, scope: Scope) -> Response:
        variables = await self._variables(op, request, scope.get("path_params", {}))
        s = op.settings
        if s.persisted_id is not None:
            pq = {"persistedQuery": {"version": 1, "sha256Hash": s.persisted_id}}
            graphql = GraphQLOperation(None, s.operation_name, variables, pq)
        else:
            graphql = GraphQLOperation(op.text, s.operation_name, variables, None)
        try:
            admitted = await self.graphql.admission.admit_operations(request, [graphql])
        except Reject as r:  # authentication, rate limit or a plugin refused it
            return problem(r.status, list(r.body.get("errors") or []), headers=r.headers)
        results = await self.graphql.run_operations(
            admitted, "application/json", allow_mutation=True
        )
        result = results if isinstance(results, GraphQLResponse) else results[0]
        assert isinstance(result, GraphQLResponse)  # JSON accepted: never a stream
        return self._respond(op, result)

    def _respond(self, op: BoundOperation, result: GraphQLResponse) -> Response:
        body = result.body
        data = body.get("data")
        value = (
            data if op.result_key is None or not isinstance(data, dict) else data.get(op.result_key)
        )
        errors = body.get("errors")
        if errors:
            return problem(status_of(errors, self.by_code), errors, data=value)
        if result.status >= 400:  # no error listed: keep the pipeline's status
            return problem(result.status, [graphql_error("request failed", None, None)])
        if value is None:
            key = op.result_key or "data"
            message = f"{key} is null: nothing found"
            return problem(404, [graphql_error(message, [key], "NOT_FOUND")])
        return Response(
            orjson.dumps(value), status_code=op.settings.status, media_type="application/json"
        )

    async def _variables(
        self, op: BoundOperation, request: HttpRequest, path_params: dict[str, Any]
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            for v in op.by_source("path"):
                out[v.name] = read_param(v.name, [str(path_params[v.name])], v.type)
            query = request.query_params
            accepted = {v.name: v for v in op.by_source("query")}
            unknown = sorted(set(query.keys()) - set(accepted))
            if unknown:
                takes = ", ".join(accepted) or "none"
                raise RequestRejected(
                    400, f"unknown query parameter {unknown[0]!r} (this endpoint takes: {takes})"
                )
            for name, v in accepted.items():
                values = query.getlist(name)
                if values:
                    out[name] = read_param(name, values, v.type)
        except ParamError as exc:
            raise RequestRejected(400, str(exc)) from None
        body_vars = op.by_source("body")
        if body_vars:
            out.update(await self._body(op, request, [v.name for v in body_vars]))
        return out

    async def _body(
        self, op: BoundOperation, request: HttpRequest, names: list[str]
    ) -> dict[str, Any]:
        ctype = request.headers.get("content-type")
        if ctype is None or not is_json_content_type(ctype):
            raise RequestRejected(
                415,
                "'content-type' header must be application/json",
                ErrorCode.INVALID_CONTENT_TYPE_HEADER,
            )
        limits = self.router.settings.limits
        raw = await read_body(
            request.headers.get("content-length"),
            request.receive,
            limits.http_max_request_bytes,
            limits.http_body_read_timeout_s,
        )
        if not raw.strip():
            raise RequestRejected(400, "request body is empty: send a JSON document")
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise RequestRejected(400, f"request body is not valid JSON: {exc.msg}") from None
        if op.settings.body is not None:
            return {op.settings.body: payload}
        if not isinstance(payload, dict):
            raise RequestRejected(400, "request body must be a JSON object")
        unknown = sorted(set(payload) - set(names))
        if unknown:
            raise RequestRejected(
                400, f"unknown body field {unknown[0]!r} (the body takes: {', '.join(names)})"
            )
        return dict(payload)


class _Endpoint:
    """One configured endpoint as an ASGI app (Starlette passes the path parameters)."""

    def __init__(self, api: RestApi, index: int) -> None:
        self.api = api
        self.index = index

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.api.serve(self.index, scope, receive, send)


def _bind(prepared: PreparedOperation, schema: GraphQLSchema) -> BoundOperation | OperationUnfit:
    try:
        return bind(prepared, schema)
    except OperationUnfit as exc:
        return exc


def _log_changes(
    prepared: tuple[PreparedOperation, ...],
    before: tuple[BoundOperation | OperationUnfit, ...],
    after: tuple[BoundOperation | OperationUnfit, ...],
) -> None:
    """A warning per endpoint the supergraph disables, a note per one it enables again."""
    for i, (p, now) in enumerate(zip(prepared, after, strict=True)):
        was = before[i] if before else None
        if isinstance(now, OperationUnfit):
            if not isinstance(was, OperationUnfit) or str(was) != str(now):
                log.warning(
                    "%s is disabled (404, left out of the OpenAPI document): its operation does "
                    "not fit the supergraph: %s",
                    p.where,
                    now,
                )
        elif isinstance(was, OperationUnfit):
            log.warning("%s is enabled again: the reloaded supergraph fits it", p.where)
