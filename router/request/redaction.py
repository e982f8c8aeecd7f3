"""Subgraph error redaction (production mode).

A subgraph's error messages can carry stack traces, SQL, hostnames or user
text. The client gets a generic message plus what it needs to act and to quote
to an operator (path, `extensions.code`, `serviceName`, the trace id); the
original is logged under the same trace id.
"""

from __future__ import annotations

import logging
from typing import Any

from router.plugins import ExecutionResponseContext, Plugin

__all__ = ["REDACTED_MESSAGE", "RedactionPlugin", "redact_subgraph_errors"]

REDACTED_MESSAGE = "Subgraph errors redacted"
_KEPT_EXTENSIONS = ("code", "serviceName")

log = logging.getLogger("router.errors")


def redact_subgraph_errors(errors: list[dict[str, Any]], trace_id: str) -> list[dict[str, Any]]:
    """Errors with `extensions.serviceName` (those that came from, or are about, a
    subgraph call) lose their message and extra extensions; others pass unchanged."""
    out = []
    for err in errors:
        ext = err.get("extensions")
        if not isinstance(ext, dict) or "serviceName" not in ext:
            out.append(err)
            continue
        service = ext.get("serviceName")
        log.warning("subgraph error (trace %s, %s): %s", trace_id, service, err.get("message"))
        kept = {k: ext[k] for k in _KEPT_EXTENSIONS if k in ext}
        kept["traceId"] = trace_id
        red: dict[str, Any] = {"message": REDACTED_MESSAGE}
        if "path" in err:
            red["path"] = err["path"]
        red["extensions"] = kept
        out.append(red)
    return out


class RedactionPlugin(Plugin):
    """Redact subgraph errors of every payload (on unless `include_subgraph_errors`).

    It hooks `execution_response`, which every payload the executor makes passes: a JSON
    answer, each `@defer` part (whose errors sit in `incremental` entries) and each
    subscription event, over any transport (JSON, SSE, multipart, WebSocket).
    """

    async def execution_response(self, ctx: ExecutionResponseContext) -> None:
        body = ctx.body
        errors = body.get("errors")
        incremental = body.get("incremental")
        if not errors and not incremental:
            return
        trace_id = ctx.request.trace_id if ctx.request is not None else ""
        if errors:
            body["errors"] = redact_subgraph_errors(errors, trace_id)
        for item in incremental or ():
            if isinstance(item, dict) and item.get("errors"):
                item["errors"] = redact_subgraph_errors(item["errors"], trace_id)
