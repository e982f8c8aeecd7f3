"""`extensions.code` values of the router's hardening layers (Apollo Router's names).

`POLICY_CODES` are rejections by policy (limits, CSRF, persisted-query rules):
they keep their 4xx status even for `application/json` clients, where plain
GraphQL validation errors are answered with 200.
"""

from __future__ import annotations

__all__ = ["POLICY_CODES", "is_policy_rejection"]

# request shape and transport
BAD_REQUEST = "BAD_REQUEST"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
INVALID_ACCEPT_HEADER = "INVALID_ACCEPT_HEADER"
INVALID_CONTENT_TYPE_HEADER = "INVALID_CONTENT_TYPE_HEADER"
CSRF_ERROR = "CSRF_ERROR"
BATCH_LIMIT_EXCEEDED = "BATCH_LIMIT_EXCEEDED"
BATCHING_NOT_ENABLED = "BATCHING_NOT_ENABLED"
REQUEST_RATE_LIMITED = "REQUEST_RATE_LIMITED"
GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"
# operation limits
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
MAX_DEPTH_LIMIT = "MAX_DEPTH_LIMIT"
MAX_HEIGHT_LIMIT = "MAX_HEIGHT_LIMIT"
MAX_ALIASES_LIMIT = "MAX_ALIASES_LIMIT"
MAX_ROOT_FIELDS_LIMIT = "MAX_ROOT_FIELDS_LIMIT"
#: ours (no Apollo equivalent): one response key selected too often in one selection set,
#: which makes field-merging validation quadratic
MAX_REPEATED_FIELDS_LIMIT = "MAX_REPEATED_FIELDS_LIMIT"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
# authentication and authorization
AUTH_ERROR = "AUTH_ERROR"
UNAUTHORIZED_FIELD_OR_TYPE = "UNAUTHORIZED_FIELD_OR_TYPE"
# persisted queries
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
PERSISTED_QUERY_ID_REQUIRED = "PERSISTED_QUERY_ID_REQUIRED"
PERSISTED_QUERY_NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
QUERY_NOT_IN_SAFELIST = "QUERY_NOT_IN_SAFELIST"
CANNOT_SEND_PQ_ID_AND_BODY = "CANNOT_SEND_PQ_ID_AND_BODY"

POLICY_CODES = frozenset(
    {
        PAYLOAD_TOO_LARGE,
        CSRF_ERROR,
        BATCH_LIMIT_EXCEEDED,
        BATCHING_NOT_ENABLED,
        MAX_DEPTH_LIMIT,
        MAX_HEIGHT_LIMIT,
        MAX_ALIASES_LIMIT,
        MAX_ROOT_FIELDS_LIMIT,
        MAX_REPEATED_FIELDS_LIMIT,
        INTROSPECTION_DISABLED,
        PERSISTED_QUERY_HASH_MISMATCH,
        PERSISTED_QUERY_ID_REQUIRED,
        PERSISTED_QUERY_NOT_IN_LIST,
        QUERY_NOT_IN_SAFELIST,
        CANNOT_SEND_PQ_ID_AND_BODY,
        PERSISTED_QUERY_NOT_SUPPORTED,
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
