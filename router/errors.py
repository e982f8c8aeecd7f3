"""The router's exception tree and client-visible error codes.

    RouterError
    ├── RequestError            the client's request is unusable (400)
    └── SubgraphError           a subgraph call did not give a GraphQL answer
        ├── SubgraphUnreachable     connect/transport failure
        ├── SubgraphTimeout         no answer within the subgraph timeout
        └── SubgraphBadResponse     non-2xx status or a body that is not GraphQL JSON

Client-visible errors are plain GraphQL error dicts (message, path,
extensions.code) built with `graphql_error`; codes come from `ErrorCode`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "ErrorCode",
    "RequestError",
    "RouterError",
    "SubgraphBadResponse",
    "SubgraphError",
    "SubgraphTimeout",
    "SubgraphUnreachable",
    "graphql_error",
]


class ErrorCode(StrEnum):
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_REQUEST = "BAD_REQUEST"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    QUERY_PLANNING_FAILED = "QUERY_PLANNING_FAILED"
    SUBGRAPH_FETCH_FAILED = "SUBGRAPH_FETCH_FAILED"
    SUBGRAPH_TIMEOUT = "SUBGRAPH_TIMEOUT"
    SUBGRAPH_BAD_RESPONSE = "SUBGRAPH_BAD_RESPONSE"
    NON_NULL_VIOLATION = "NON_NULL_VIOLATION"
    INVALID_VALUE = "INVALID_VALUE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class RouterError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR


class RequestError(RouterError):
    code = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, code: ErrorCode = ErrorCode.BAD_REQUEST) -> None:
        super().__init__(message)
        self.code = code


class SubgraphError(RouterError):
    code = ErrorCode.SUBGRAPH_FETCH_FAILED

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"subgraph '{service}': {message}")
        self.service = service


class SubgraphUnreachable(SubgraphError):
    code = ErrorCode.SUBGRAPH_FETCH_FAILED


class SubgraphTimeout(SubgraphError):
    code = ErrorCode.SUBGRAPH_TIMEOUT


class SubgraphBadResponse(SubgraphError):
    code = ErrorCode.SUBGRAPH_BAD_RESPONSE


def graphql_error(
    message: str,
    path: list[str | int] | None = None,
    code: ErrorCode | str | None = None,
    extensions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message}
    if path is not None:
        err["path"] = path
    ext = dict(extensions or {})
    if code is not None:
        ext.setdefault("code", str(code))
    if ext:
        err["extensions"] = ext
    return err
