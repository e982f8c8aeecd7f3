"""The lean POST path: one JSON GraphQL operation executed without strawberry's view machinery.

Strawberry's HTTP view and extension pipeline cost ≈ 0.2 ms a request beyond graphql-core's
own execution (request adapters, `email.message` content-type parsing, extension contexts);
on the NLU subgraph that is a fifth of what a batched utterance costs the model
(bench/inference.md). `LeanGraphQL` answers the common request itself: a POST whose
content type names `application/json`, carrying one query or mutation. Parsing and
validation are cached per query text; execution is graphql-core's `execute` against
strawberry's `GraphQLSchema` with strawberry's execution-context class, the view's own
`get_root_value`, `get_sub_response` and `get_context`; errors are logged through the
schema's `_process_errors` and formatted as strawberry formats them.

Everything else goes to strawberry's app unchanged, with the body replayed when it was
already read: GET and GraphiQL, WebSockets, batched arrays, subscriptions, multipart,
bodies that are not a JSON object, documents that do not parse, unknown operation names.
Those answers (including every HTTP 400) therefore stay strawberry's own. The lean path
is only switched on for views and schemas whose behaviour it reproduces (see
`lean_unsupported_reason`); anything custom keeps the whole request on strawberry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson
from graphql import GraphQLError, OperationType, parse, specified_rules
from graphql.execution import execute
from graphql.language import DocumentNode, OperationDefinitionNode
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.http.parse_content_type import parse_content_type
from strawberry.schema import Schema
from strawberry.schema.schema import validate_document
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType as StrawberryOperationType
from strawberry.utils.await_maybe import await_maybe

log = logging.getLogger("chorus.kit")

# View methods whose behaviour the lean path reproduces instead of calling them: a view
# that overrides any of these keeps every request on strawberry's path.
_REPRODUCED = (
    "__call__",
    "run",
    "execute_operation",
    "execute_single",
    "parse_http_body",
    "parse_json",
    "decode_json",
    "encode_json",
    "process_result",
    "create_response",
    "is_request_allowed",
)
_LEAN_TYPES = frozenset({OperationType.QUERY, OperationType.MUTATION})
_JSON_HEADERS = b"application/json"
_RULES = tuple(specified_rules)  # what strawberry's ExecutionContext validates with


def lean_unsupported_reason(view: GraphQL[Any, Any]) -> str | None:
    """Why `view` must keep strawberry's whole path, or None when the lean path is exact."""
    schema = view.schema
    if not isinstance(schema, Schema):
        return f"{type(schema).__name__} is not a strawberry Schema"
    if type(schema).execute is not Schema.execute:
        return f"{type(schema).__name__} overrides execute"
    if schema.config.enable_experimental_incremental_execution:
        return "incremental delivery (@defer/@stream) is enabled"
    extensions = schema.get_extensions()
    others = sorted(
        {type(e).__name__ for e in extensions if not isinstance(e, ParserCache | ValidationCache)}
    )
    if others:
        return f"schema extensions {', '.join(others)} need strawberry's pipeline"
    for name in _REPRODUCED:
        if getattr(type(view), name) is not getattr(GraphQL, name):
            return f"{type(view).__name__} overrides {name}"
    return None


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A parsed and validated document, and what picks its operation (cached per query text)."""

    document: DocumentNode
    errors: list[GraphQLError]
    first_name: str | None
    first_type: OperationType | None
    types_by_name: dict[str, OperationType]


def _prepare(schema: Schema, query: str) -> _Prepared | None:
    """Parse and validate `query`; None when it does not parse (strawberry answers that)."""
    try:
        document = parse(query)
    except Exception:
        return None
    first: OperationDefinitionNode | None = None
    types_by_name: dict[str, OperationType] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            first = first or definition
            if definition.name is not None:  # the first of a name wins, as in strawberry
                types_by_name.setdefault(definition.name.value, definition.operation)
    errors = validate_document(schema._schema, document, _RULES)
    return _Prepared(
        document,
        errors,
        first.name.value if first is not None and first.name is not None else None,
        first.operation if first is not None else None,
        types_by_name,
    )


def _json_content_type(value: bytes) -> bool:
    """Strawberry's own test: the parsed mime type contains ``application/json``."""
    mime_type, _ = parse_content_type(value.decode("latin-1"))
    return "application/json" in mime_type


def encode_response(data: dict[str, Any]) -> bytes:
    """orjson where it gives the same JSON value as strawberry's `json.dumps`, else json.dumps.

    Values orjson would encode where the standard encoder fails or differs (dataclasses,
    datetimes, subclasses of builtins) are handed to `json.dumps`, so such a response
    fails or succeeds exactly as before. The bytes may differ: orjson writes non-ASCII
    characters as UTF-8 and small floats without an exponent (same values).
    """
    try:
        return orjson.dumps(data, option=_PASSTHROUGH, default=_refuse)
    except TypeError:
        return json.dumps(data, separators=(",", ":")).encode()


_PASSTHROUGH = (
    orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is left to json.dumps")


class _Replay:
    """A `receive` that first hands back the messages already read, then the real ones."""

    __slots__ = ("_messages", "_receive")

    def __init__(self, messages: list[Message], receive: Receive) -> None:
        self._messages = messages
        self._receive = receive

    async def __call__(self) -> Message:
        if self._messages:
            return self._messages.pop(0)
        return await self._receive()


class LeanGraphQL:
    """ASGI app for `/graphql`: the lean path for plain JSON POSTs, strawberry for the rest."""

    def __init__(
        self, view: GraphQL[Any, Any], *, cache_size: int = 1024, enabled: bool = True
    ) -> None:
        self.view = view
        self.reason = lean_unsupported_reason(view) if enabled else "switched off"
        if self.reason is not None:
            log.info("lean GraphQL path off: %s", self.reason)
            return
        schema: Schema = view.schema  # type: ignore[assignment]  # checked just above
        self.schema = schema
        self._graphql_schema = schema._schema
        self._executor_class = schema.execution_context_class
        self._prepare: Callable[[str], _Prepared | None] = lru_cache(maxsize=cache_size)(
            lambda query: _prepare(schema, query)
        )
        self._json_content_type = lru_cache(maxsize=64)(_json_content_type)

    @property
    def enabled(self) -> bool:
        return self.reason is None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.reason is None and scope["type"] == "http" and scope["method"] == "POST":
            await self.post(scope, receive, send)
        else:
            await self.view(scope, receive, send)

    def _takes(self, scope: Scope) -> bool:
        """Is this POST one the lean path may answer, judging by its headers?"""
        content_type = None
        for key, value in scope["headers"]:
            if key == b"content-type":
                content_type = value
                break
        if content_type is None or not (
            content_type == _JSON_HEADERS or self._json_content_type(content_type)
        ):
            return False
        # An Accept header that asks for SSE / multipart subscriptions, where the view has
        # those transports, is strawberry's to answer (these subgraphs have none).
        return not self.view._stream_transport_map or (
            self.view._get_stream_transport_from_headers(Request(scope).headers) is None
        )

    async def post(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one POST, or hand it (body replayed) to strawberry's view."""
        if not self._takes(scope):
            await self.view(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":  # a disconnect: strawberry's path sees it too
                await self.view(scope, _Replay(messages, receive), send)
                return
            if not message.get("more_body", False):
                break
        body = (
            messages[0].get("body", b"")
            if len(messages) == 1
            else b"".join(m.get("body", b"") for m in messages)
        )
        request = self._request(body)
        if request is None:
            await self.view(scope, _Replay(messages, receive), send)
            return
        data, query, variables, extensions, operation_name, prepared = request

        view = self.view
        http_request = Request(scope, receive)
        http_request._body = body  # a resolver reading the body gets it, as on strawberry's path
        root_value = await view.get_root_value(http_request)
        sub_response = await view.get_sub_response(http_request)
        context = await view.get_context(http_request, response=sub_response)

        errors: list[GraphQLError] | None
        if prepared.errors:
            result_data, errors = None, prepared.errors
        else:
            try:
                result = await await_maybe(
                    execute(
                        self._graphql_schema,
                        prepared.document,
                        root_value=root_value,
                        context_value=context,
                        variable_values=variables,
                        operation_name=operation_name,
                        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                        executor_class=self._executor_class,
                        operation_extensions=extensions,
                    )
                )
                result_data, errors = result.data, result.errors
            except Exception as exc:
                result_data = None
                errors = [exc if isinstance(exc, GraphQLError) else _coerced(exc)]
        response: dict[str, Any] = {"data": result_data}
        if errors:
            self.schema._process_errors(
                errors, self._execution_context(query, variables, context, root_value, data)
            )
            response["errors"] = [error.formatted for error in errors]
            view._handle_errors(errors, response)  # type: ignore[arg-type]
        body = encode_response(response)
        headers = [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", _JSON_HEADERS),
            *sub_response.headers.raw,
        ]
        status = sub_response.status_code or 200
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        if sub_response.background is not None:
            await sub_response.background()

    def _request(
        self, body: bytes
    ) -> tuple[dict[str, Any], str, Any, Any, str | None, _Prepared] | None:
        """The parts of a body the lean path answers; None where strawberry must answer."""
        try:
            data = json.loads(body)  # json, not orjson: the same numbers and strings as strawberry
        except Exception:  # undecodable, or nested too deep: strawberry's answer, whatever it is
            return None
        if type(data) is not dict:
            return None
        query = data.get("query")
        variables = data.get("variables")
        extensions = data.get("extensions")
        operation_name = data.get("operationName")
        if (
            type(query) is not str
            or not query
            or (variables is not None and type(variables) is not dict)
            or (extensions is not None and type(extensions) is not dict)
            or (operation_name is not None and type(operation_name) is not str)
        ):
            return None
        prepared = self._prepare(query)
        if prepared is None:
            return None
        if operation_name is None:  # strawberry runs the first operation, by its name
            operation_name, operation_type = prepared.first_name, prepared.first_type
        else:
            operation_type = prepared.types_by_name.get(operation_name)
        if operation_type not in _LEAN_TYPES:  # none found (HTTP 400) or a subscription
            return None
        return data, query, variables, extensions, operation_name, prepared

    def _execution_context(
        self,
        query: str,
        variables: dict[str, Any] | None,
        context: Any,
        root_value: Any,
        data: dict[str, Any],
    ) -> ExecutionContext:
        """What strawberry hands `process_errors` (only built when there are errors)."""
        return ExecutionContext(
            query=query,
            schema=self.schema,
            allowed_operations=StrawberryOperationType.from_http("POST"),
            context=context,
            root_value=root_value,
            variables=variables,
            provided_operation_name=data.get("operationName"),
            operation_extensions=data.get("extensions"),
        )


class LeanRoute:
    """Middleware: `POST /graphql` goes straight to the lean path, past starlette's router.

    Starlette's exception middleware and router cost a request ≈ 15 µs of event-loop CPU
    (a `Request`, two closures, a wrapped `send`, the path regex) and add four frames that
    every wake-up of the request's coroutine passes through. Neither does anything for
    this route: no starlette `HTTPException` comes out of the GraphQL app (strawberry turns
    its own into responses) and anything else propagates to `ServerErrorMiddleware` either
    way. The scope gets the keys the router would set (`router`, `route`, `endpoint`,
    `path_params`). Everything else, and everything when the lean path is off, takes the
    router as before.
    """

    def __init__(self, app: ASGIApp, *, lean: LeanGraphQL, route: Route) -> None:
        self.app = app
        self.lean = lean
        self.route = route
        self.path = route.path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == self.path
            and not scope.get("root_path")
            and self.lean.reason is None
        ):
            if "router" not in scope:
                scope["router"] = scope["app"].router
            scope["route"] = self.route
            scope["endpoint"] = self.route.endpoint
            scope["path_params"] = {}
            await self.lean.post(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _coerced(error: Exception) -> GraphQLError:
    return GraphQLError(str(error), original_error=error)
