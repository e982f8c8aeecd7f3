"""The router's exception tree and client-visible error codes.

    RouterError
    ├── RequestError            the client's request is unusable (400)
    └── SubgraphError           a subgraph call did not give a GraphQL answer
        ├── SubgraphUnreachable     connect/transport failure
        ├── SubgraphTimeout         no answer within the subgraph timeout
        └── SubgraphBadResponse     non-2xx status or a body that is not GraphQL JSON

Client-visible errors are plain GraphQL error dicts (message, path,
extensions.code) built with `graphql_error`; every code the router sends is an
`ErrorCode` (Apollo Router's names where Apollo has one).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

__all__ = [
    "POLICY_CODES",
    "ErrorCode",
    "RequestError",
    "RouterError",
    "SubgraphBadResponse",
    "SubgraphError",
    "SubgraphTimeout",
    "SubgraphUnreachable",
    "graphql_error",
    "is_policy_rejection",
]


class ErrorCode(StrEnum):
    # request shape and transport (the HTTP stage)
    BAD_REQUEST = "BAD_REQUEST"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    #: 431: too many request headers, or too large (the connection's head guard)
    REQUEST_HEADER_FIELDS_TOO_LARGE = "REQUEST_HEADER_FIELDS_TOO_LARGE"
    #: 408: the request body did not arrive in time
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    INVALID_ACCEPT_HEADER = "INVALID_ACCEPT_HEADER"
    INVALID_CONTENT_TYPE_HEADER = "INVALID_CONTENT_TYPE_HEADER"
    CSRF_ERROR = "CSRF_ERROR"
    BATCH_LIMIT_EXCEEDED = "BATCH_LIMIT_EXCEEDED"
    BATCHING_NOT_ENABLED = "BATCHING_NOT_ENABLED"
    REQUEST_RATE_LIMITED = "REQUEST_RATE_LIMITED"
    GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"
    AUTH_ERROR = "AUTH_ERROR"
    #: `@defer` without a multipart Accept header
    DEFER_BAD_HEADER = "DEFER_BAD_HEADER"
    # the GraphQL request: document, variables, limits, planning
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    QUERY_PLANNING_FAILED = "QUERY_PLANNING_FAILED"
    MAX_DEPTH_LIMIT = "MAX_DEPTH_LIMIT"
    MAX_HEIGHT_LIMIT = "MAX_HEIGHT_LIMIT"
    MAX_ALIASES_LIMIT = "MAX_ALIASES_LIMIT"
    MAX_ROOT_FIELDS_LIMIT = "MAX_ROOT_FIELDS_LIMIT"
    #: ours (no Apollo equivalent): one response key selected too often in one selection
    #: set, which makes field-merging validation quadratic
    MAX_REPEATED_FIELDS_LIMIT = "MAX_REPEATED_FIELDS_LIMIT"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    UNAUTHORIZED_FIELD_OR_TYPE = "UNAUTHORIZED_FIELD_OR_TYPE"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    PERSISTED_QUERY_ID_REQUIRED = "PERSISTED_QUERY_ID_REQUIRED"
    PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
    QUERY_NOT_IN_SAFELIST = "QUERY_NOT_IN_SAFELIST"
    CANNOT_SEND_PQ_ID_AND_BODY = "CANNOT_SEND_PQ_ID_AND_BODY"
    # execution and subgraph calls
    SUBGRAPH_FETCH_FAILED = "SUBGRAPH_FETCH_FAILED"
    SUBGRAPH_TIMEOUT = "SUBGRAPH_TIMEOUT"
    SUBGRAPH_BAD_RESPONSE = "SUBGRAPH_BAD_RESPONSE"
    NON_NULL_VIOLATION = "NON_NULL_VIOLATION"
    INVALID_VALUE = "INVALID_VALUE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


#: Rejections by policy (limits, CSRF, persisted-query rules): they keep their 4xx status
#: even for `application/json` clients, where plain GraphQL validation errors get 200.
POLICY_CODES = frozenset(
    {
        ErrorCode.PAYLOAD_TOO_LARGE,
        ErrorCode.CSRF_ERROR,
        ErrorCode.BATCH_LIMIT_EXCEEDED,
        ErrorCode.BATCHING_NOT_ENABLED,
        ErrorCode.MAX_DEPTH_LIMIT,
        ErrorCode.MAX_HEIGHT_LIMIT,
        ErrorCode.MAX_ALIASES_LIMIT,
        ErrorCode.MAX_ROOT_FIELDS_LIMIT,
        ErrorCode.MAX_REPEATED_FIELDS_LIMIT,
        ErrorCode.INTROSPECTION_DISABLED,
        ErrorCode.PERSISTED_QUERY_HASH_MISMATCH,
        ErrorCode.PERSISTED_QUERY_ID_REQUIRED,
        ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
        ErrorCode.QUERY_NOT_IN_SAFELIST,
        ErrorCode.CANNOT_SEND_PQ_ID_AND_BODY,
        ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
    }
)


def is_policy_rejection(body: dict[str, object]) -> bool:
    """True when a response body's errors include a policy rejection."""
    errors = body.get("errors")
    if not isinstance(errors, list):
        return False
    for e in errors:
        ext = e.get("extensions") if isinstance(e, dict) else None
        if isinstance(ext, dict) and ext.get("code") in POLICY_CODES:
            return True
    return False


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
