"""The lean POST path: one JSON GraphQL operation answered without strawberry's HTTP view.

Strawberry's HTTP view costs a request noticeably more than its GraphQL pipeline does
(request adapters, `email.message` content-type parsing, stream-transport negotiation);
on the NLU subgraph that is a large share of what a batched utterance costs the model
(bench/inference.md). `LeanGraphQL` answers the common request itself, with strawberry's
public API only: a POST whose content type is `application/json`, carrying one query or
mutation, is executed by the schema's own `Schema.execute` (so its extensions, the
parse and validation cache the kit installs among them, and its error logging
run as on strawberry's path), with the view's public hooks `get_root_value`,
`get_sub_response`, `get_context` and `process_result`, and answered the way the view's
`create_response` answers (status 200 or the sub-response's, its headers and background
task).

Everything else goes to strawberry's view unchanged, with the body replayed when it was
already read: GET and GraphiQL, WebSockets, batched arrays, subscriptions, multipart,
requests that ask for a streamed answer, bodies that are not a JSON object, documents that
do not parse, unknown operation names. Those answers (including every HTTP 400) therefore
stay strawberry's own. The lean path is only switched on for views whose HTTP handling it
reproduces (see `lean_unsupported_reason`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

import orjson
from graphql import OperationType, parse
from graphql.language import OperationDefinitionNode
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.schema import BaseSchema, Schema

from subgraphs.kit.direct_execution import direct_execution

log = logging.getLogger("chorus.kit")

# View methods whose behaviour the lean path reproduces instead of calling them: a view
# that overrides any of these keeps every request on strawberry's path. (`get_context`,
# `get_root_value`, `get_sub_response` and `process_result` are called, so overriding
# them is fine.)
_REPRODUCED = (
    "__call__",
    "run",
    "execute_operation",
    "execute_single",
    "parse_http_body",
    "parse_json",
    "decode_json",
    "encode_json",
    "create_response",
    "is_request_allowed",
)
_LEAN_TYPES = frozenset({OperationType.QUERY, OperationType.MUTATION})
_JSON = b"application/json"
# Accept values that ask strawberry for a streamed answer (SSE, multipart subscriptions)
_STREAMED = (b"text/event-stream", b"multipart/mixed")


def lean_unsupported_reason(view: GraphQL[Any, Any]) -> str | None:
    """Why `view` must keep strawberry's whole path, or None when the lean path is exact."""
    schema = view.schema
    if not isinstance(schema, Schema):
        return f"{type(schema).__name__} is not a strawberry Schema"
    if getattr(schema.config, "enable_experimental_incremental_execution", False):
        return "incremental delivery (@defer/@stream) is enabled"
    for name in _REPRODUCED:
        if getattr(type(view), name) is not getattr(GraphQL, name):
            return f"{type(view).__name__} overrides {name}"
    return None


def operation_type(query: str, operation_name: str | None) -> OperationType | None:
    """The type of the operation strawberry would run, None when the query does not parse
    or names no such operation (strawberry answers those itself).

    Strawberry runs the operation named `operation_name`, or the document's first one.
    """
    try:
        document = parse(query)
    except Exception:
        return None
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None
            or (definition.name is not None and definition.name.value == operation_name)
        ):
            return definition.operation
    return None


def _json_content_type(value: bytes) -> bool:
    """`application/json`, with parameters or not: a strict subset of what strawberry takes."""
    return value == _JSON or value.partition(b";")[0].strip() == _JSON


def encode_response(data: dict[str, Any]) -> bytes:
    """orjson where it gives the same JSON value as strawberry's `json.dumps`, else json.dumps.

    Values orjson would encode where the standard encoder fails or differs (dataclasses,
    datetimes, subclasses of builtins) are handed to `json.dumps`, so such a response
    fails or succeeds exactly as on strawberry's path. The bytes may differ: orjson writes
    non-ASCII characters as UTF-8 and small floats without an exponent (same values).
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
        self.schema: BaseSchema = view.schema
        self.reason = lean_unsupported_reason(view) if enabled else "switched off"
        self.direct = direct_execution(self.schema) if self.reason is None else None
        if self.reason is not None:
            log.info("lean GraphQL path off: %s", self.reason)
        self._operation_type: Callable[[str, str | None], OperationType | None] = lru_cache(
            maxsize=cache_size
        )(operation_type)
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
                if content_type is None:  # the first one counts, as in starlette's Headers
                    content_type = value
            elif key == b"accept" and any(kind in value.lower() for kind in _STREAMED):
                return False
        return content_type is not None and self._json_content_type(content_type)

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
        query, variables, extensions, operation_name = request

        view = self.view
        # A resolver that reads the body gets it, as on strawberry's path.
        http_request = Request(scope, _Replay(list(messages), receive))
        root_value = await view.get_root_value(http_request)
        sub_response = await view.get_sub_response(http_request)
        context = await view.get_context(http_request, response=sub_response)
        result = None
        if self.direct is not None:  # a query validated before, on a plain kit schema
            result = await self.direct.execute(
                query, variables, context, root_value, operation_name, extensions
            )
        if result is None:
            result = await self.schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                root_value=root_value,
                operation_name=operation_name,
                operation_extensions=extensions,
            )
        processed = await view.process_result(http_request, result)
        answer = encode_response(cast(dict[str, Any], processed))
        headers = [
            (b"content-length", str(len(answer)).encode()),
            (b"content-type", _JSON),
            *sub_response.headers.raw,
        ]
        status = sub_response.status_code or 200
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})
        # One loop iteration before the work after the answer (a background task, the
        # access log line, uvicorn's bookkeeping): on a server whose writes leave at the
        # end of an iteration (`router.server.coalescing_loop`, which `chorus subgraph`
        # serves on) the answer then goes out first (bench/subgraph_served.py).
        await asyncio.sleep(0)
        if sub_response.background is not None:
            await sub_response.background()

    def _request(
        self, body: bytes
    ) -> tuple[str, dict[str, Any] | None, dict[str, Any] | None, str | None] | None:
        """(query, variables, extensions, operation name), or None where strawberry answers."""
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
        # none found (strawberry's HTTP 400), a syntax error or a subscription: strawberry's
        if self._operation_type(query, operation_name) not in _LEAN_TYPES:
            return None
        return query, variables, extensions, operation_name


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
