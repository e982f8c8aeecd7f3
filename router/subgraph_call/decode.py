"""A subgraph's HTTP answer decoded and checked to be a GraphQL response."""

from __future__ import annotations

from typing import Any

import orjson

from router.errors import SubgraphBadResponse
from router.plugins.transport import RawResponse
from router.subgraph_call.sanitize import sanitize_errors

__all__ = ["decode"]


def decode(subgraph: str, raw: RawResponse) -> dict[str, Any]:
    """`{"data"?, "errors"?}` with well-formed errors, or `SubgraphBadResponse`."""
    if raw.decoded is not None:
        return raw.decoded
    try:
        payload = orjson.loads(raw.content)
    except orjson.JSONDecodeError as exc:
        raise SubgraphBadResponse(subgraph, f"HTTP {raw.status}, body is not JSON") from exc
    if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
        raise SubgraphBadResponse(subgraph, f"HTTP {raw.status}, not a GraphQL response")
    data, errors = payload.get("data"), payload.get("errors")
    if not (data is None or isinstance(data, dict)) or not (
        errors is None or isinstance(errors, list)
    ):
        raise SubgraphBadResponse(subgraph, f"HTTP {raw.status}, malformed GraphQL response")
    if errors:
        payload["errors"] = sanitize_errors(errors)
    return payload
