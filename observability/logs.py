"""Structured JSON logs that carry the trace id, so a log line leads to its trace.

User text is never logged unless `CHORUS_LOG_USER_TEXT=1`; code that wants to log
what a user said calls `user_text(text)`, which redacts it by default.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any

import orjson
from opentelemetry import trace

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            entry["trace_id"] = f"{ctx.trace_id:032x}"
            entry["span_id"] = f"{ctx.span_id:016x}"
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def user_text(text: str) -> str:
    """The text itself when logging user text is enabled, else a redaction with its length."""
    if os.environ.get("CHORUS_LOG_USER_TEXT") == "1":
        return text
    return f"<redacted {len(text)} chars>"


def configure_logging(service: str, level: str | None = None) -> None:
    """JSON lines on stderr when CHORUS_LOG_FORMAT=json (the default outside a terminal)."""
    fmt = os.environ.get("CHORUS_LOG_FORMAT") or ("text" if sys.stderr.isatty() else "json")
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or os.environ.get("CHORUS_LOG_LEVEL", "INFO"))
