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
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import trace

__all__ = ["RequestContext", "current_request", "trace_id_from"]

_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")


@dataclass(frozen=True, slots=True)
class RequestContext:
    #: client request headers, lower-case names
    headers: Mapping[str, str] = field(default_factory=dict)
    #: verified JWT claims, None when anonymous
    claims: Mapping[str, Any] | None = None
    #: W3C trace id (32 hex) used in logs and redacted errors
    trace_id: str = ""


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
