"""Read and check a GraphQL-over-HTTP request: body size, JSON, shape, batch size.

Everything a client can get wrong before a document is looked at ends here
as a `RequestRejected` (status + one GraphQL error), never as a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.types import Receive

from router.deadline import within
from router.errors import ErrorCode, graphql_error
from router.plugins import GraphQLOperation

__all__ = ["RequestRejected", "parse_get", "parse_post", "read_body"]


class RequestRejected(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: str = ErrorCode.BAD_REQUEST,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = dict(headers or {})

    @property
    def body(self) -> dict[str, Any]:
        return {"errors": [graphql_error(str(self), None, self.code)]}


async def read_body(
    content_length: str | None,
    receive: Receive,
    max_bytes: int,
    timeout_s: float | None = None,
) -> bytes:
    """The request body from ASGI `receive`, refusing (413) past `max_bytes` without reading on.

    A body that comes in several reads must be complete within `timeout_s` (408, and the
    connection is closed: a client trickling its body holds nothing for long); one read,
    the usual case, is never timed. A client that hangs up mid-body leaves what had arrived
    (it gets no answer anyway).
    """
    if content_length is not None:
        try:
            size = int(content_length)
        except ValueError:
            raise RequestRejected(400, "invalid Content-Length header") from None
        if size > max_bytes:
            raise _too_large(max_bytes)
    message = await receive()
    if message["type"] != "http.request":
        return b""
    first: bytes = message.get("body", b"")
    if len(first) > max_bytes:
        raise _too_large(max_bytes)
    if not message.get("more_body", False):
        return first
    if timeout_s is None:
        return await _read_rest(first, receive, max_bytes)
    try:
        with within(timeout_s):
            return await _read_rest(first, receive, max_bytes)
    except TimeoutError:
        raise RequestRejected(
            408,
            f"the request body did not arrive within {timeout_s:g} s",
            ErrorCode.REQUEST_TIMEOUT,
            {"connection": "close"},
        ) from None


async def _read_rest(first: bytes, receive: Receive, max_bytes: int) -> bytes:
    parts = [first]
    total = len(first)
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk: bytes = message.get("body", b"")
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(max_bytes)
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


def _too_large(max_bytes: int) -> RequestRejected:
    return RequestRejected(
        413, f"request body is larger than {max_bytes} bytes", ErrorCode.PAYLOAD_TOO_LARGE
    )


def parse_post(
    raw: bytes, max_batch: int, max_variables: int | None = None
) -> tuple[list[GraphQLOperation], bool]:
    """The operations of a POST body and whether it was a batch (a JSON array).

    Duplicate keys in a JSON object: the last one wins (orjson's rule). Each operation's
    `variables` must fit in `max_variables` bytes of JSON, measured only when the whole
    body is larger (so an ordinary request pays one length comparison).
    """
    ops, batch = _parse_post(raw, max_batch)
    if max_variables is not None and len(raw) > max_variables:
        for op in ops:
            if op.variables and len(orjson.dumps(op.variables)) > max_variables:
                raise _variables_too_large(max_variables)
    return ops, batch


def _variables_too_large(max_bytes: int) -> RequestRejected:
    return RequestRejected(
        413, f"'variables' is larger than {max_bytes} bytes of JSON", ErrorCode.PAYLOAD_TOO_LARGE
    )


def _parse_post(raw: bytes, max_batch: int) -> tuple[list[GraphQLOperation], bool]:
    if not raw.strip():
        raise RequestRejected(400, "request body is empty")
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RequestRejected(400, f"request body is not valid JSON: {exc.msg}") from None
    if isinstance(payload, list):
        if max_batch == 0:
            raise RequestRejected(
                400, "batched requests are not enabled", ErrorCode.BATCHING_NOT_ENABLED
            )
        if not payload:
            raise RequestRejected(400, "batched request is empty")
        if len(payload) > max_batch:
            raise RequestRejected(
                400,
                f"batch of {len(payload)} operations exceeds the maximum of {max_batch}",
                ErrorCode.BATCH_LIMIT_EXCEEDED,
            )
        return [_operation(p) for p in payload], True
    return [_operation(payload)], False


def parse_get(params: Mapping[str, str], max_variables: int | None = None) -> GraphQLOperation:
    """The operation of a GET's query parameters (`variables` at most `max_variables` long)."""

    def json_param(name: str) -> Any:
        text = params.get(name)
        if not text:
            return None
        if name == "variables" and max_variables is not None and len(text) > max_variables:
            raise _variables_too_large(max_variables)
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            raise RequestRejected(400, f"'{name}' is not valid JSON") from None

    return _operation(
        {
            "query": params.get("query"),
            "operationName": params.get("operationName") or None,
            "variables": json_param("variables"),
            "extensions": json_param("extensions"),
        }
    )


def _operation(payload: Any) -> GraphQLOperation:
    if not isinstance(payload, dict):
        raise RequestRejected(400, "a GraphQL request must be a JSON object")
    query = payload.get("query")
    if query is not None and not isinstance(query, str):
        raise RequestRejected(400, "'query' must be a string")
    if query is not None and "\x00" in query:
        raise RequestRejected(400, "'query' contains a NUL character")
    name = payload.get("operationName")
    if name is not None and not isinstance(name, str):
        raise RequestRejected(400, "'operationName' must be a string")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestRejected(400, "'variables' must be an object")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestRejected(400, "'extensions' must be an object")
    return GraphQLOperation(query, name or None, variables, extensions)
