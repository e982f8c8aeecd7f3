"""GraphQL errors as HTTP statuses, answered as RFC 9457 problem documents.

A REST client reads the status, not `errors`: each error's `extensions.code`
maps to a status (`STATUS_BY_CODE`, extended by `rest.error_status`) and the
response takes the highest one among its errors. Unknown codes are 502 when the
error came from a subgraph (`serviceName`), else 500. The body is
`application/problem+json`: `title`, `status`, `detail` (the first message),
`code`, every GraphQL error under `errors`, and what data there was under `data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response

from router.errors import ErrorCode

__all__ = ["PROBLEM", "STATUS_BY_CODE", "problem", "status_of"]

PROBLEM = "application/problem+json"

STATUS_BY_CODE: Mapping[str, int] = {
    # the request cannot be read (JSON, parameters, headers)
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.INVALID_CONTENT_TYPE_HEADER: 415,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    # read, but the values do not fit the operation or the service refuses them
    ErrorCode.BAD_USER_INPUT: 422,
    "BATCH_TOO_LARGE": 422,
    "IDEMPOTENCY_CONFLICT": 409,
    "NOT_FOUND": 404,
    # who is asking
    ErrorCode.AUTH_ERROR: 401,
    "UNAUTHENTICATED": 401,
    ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE: 403,
    "FORBIDDEN": 403,
    ErrorCode.REQUEST_RATE_LIMITED: 429,
    # what is behind the router
    ErrorCode.SUBGRAPH_FETCH_FAILED: 503,  # unreachable, or its breaker is open
    "OVERLOADED": 503,  # a served model's queue is full
    ErrorCode.SUBGRAPH_BAD_RESPONSE: 502,
    ErrorCode.SUBGRAPH_TIMEOUT: 504,
    ErrorCode.GATEWAY_TIMEOUT: 504,
}


def status_of(errors: list[dict[str, Any]], by_code: Mapping[str, int]) -> int:
    """The response status for these GraphQL errors: the highest of their statuses."""
    worst = 0
    for err in errors:
        ext = err.get("extensions") if isinstance(err, dict) else None
        ext = ext if isinstance(ext, dict) else {}
        code = ext.get("code")
        status = by_code.get(code) if isinstance(code, str) else None
        if status is None:
            status = 502 if "serviceName" in ext else 500
        worst = max(worst, status)
    return worst or 500


def problem(
    status: int,
    errors: list[dict[str, Any]],
    *,
    data: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    first = errors[0] if errors else {}
    ext = first.get("extensions") if isinstance(first.get("extensions"), dict) else {}
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": str(first.get("message", HTTPStatus(status).description)),
    }
    if ext and "code" in ext:
        body["code"] = ext["code"]
    body["errors"] = errors
    if data is not None:
        body["data"] = data
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM, headers=headers)
