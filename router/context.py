"""What one client request carries down to the subgraph calls (a context variable).

The HTTP endpoint sets it; the authorizer reads the claims and the subgraph
clients read the headers to propagate. Tasks spawned for parallel fetches
inherit it, so nothing has to be threaded through the executor.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from opentelemetry import trace

__all__ = ["RequestContext", "current_request", "trace_id_from"]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


class RequestContext:
    """The client's headers and claims; the trace id is worked out when first asked for.

    `data` holds what plugins pass from one stage's hook to a later one (Apollo's
    request context; a coprocessor sees it as `context.entries`).
    """

    __slots__ = ("_data", "_trace_id", "claims", "headers")

    def __init__(
        self, headers: Mapping[str, str] | None = None, claims: Mapping[str, Any] | None = None
    ) -> None:
        #: client request headers, lower-case names
        self.headers: Mapping[str, str] = headers if headers is not None else {}
        #: verified JWT claims, None when anonymous
        self.claims = claims
        self._trace_id: str | None = None
        self._data: dict[str, Any] | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = {}
        return self._data

    @property
    def trace_id(self) -> str:
        """W3C trace id (32 hex) used in logs and redacted errors (most requests never ask)."""
        if self._trace_id is None:
            self._trace_id = trace_id_from(self.headers)
        return self._trace_id


current_request: ContextVar[RequestContext | None] = ContextVar(
    "chorus_router_request", default=None
)


def trace_id_from(headers: Mapping[str, str]) -> str:
    """The current span's trace id, else the client's `traceparent`, else a new one."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        return f"{ctx.trace_id:032x}"
    parent = headers.get("traceparent")
    if parent:
        m = _TRACEPARENT.match(parent.strip().lower())
        if m and m.group(1) != "0" * 32:
            return m.group(1)
    # A correlation id, not a secret: OpenTelemetry's own id generator uses `random` too
    # (os.urandom would cost a system call on every request).
    return f"{random.getrandbits(128) or 1:032x}"
