"""CSRF prevention (Apollo's rule).

A browser sends a cross-site request without a CORS preflight only when its
content type is one of the three "simple" ones (or absent, as with GET) and it
carries no custom header. Such requests are refused unless they carry one of
the required headers, which a browser cannot add without a preflight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import ClassVar

from pydantic import BaseModel

from router.errors import ErrorCode
from router.plugins import HttpRequestContext, Plugin, Reject
from router.settings.security import CsrfSettings

__all__ = ["SIMPLE_CONTENT_TYPES", "CsrfPlugin", "csrf_message", "is_preflighted", "media_type"]

SIMPLE_CONTENT_TYPES = frozenset(
    {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)


def media_type(content_type: str | None) -> str | None:
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def is_preflighted(headers: Mapping[str, str], required: Iterable[str]) -> bool:
    for name in required:
        if headers.get(name, "").strip():
            return True
    mt = media_type(headers.get("content-type"))
    return mt is not None and mt not in SIMPLE_CONTENT_TYPES


def csrf_message(required: Iterable[str]) -> str:
    names = ", ".join(required)
    return (
        "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
        "Please either specify a 'content-type' header (with a mime-type that is not one of "
        f"{', '.join(sorted(SIMPLE_CONTENT_TYPES))}) or provide one of the following "
        f"headers: {names}"
    )


class CsrfPlugin(Plugin):
    """Refuse (400 CSRF_ERROR) a request a browser could have sent cross-site unpreflighted."""

    Config: ClassVar[type[BaseModel]] = CsrfSettings

    def __init__(self, config: CsrfSettings) -> None:
        super().__init__(config)
        self.required = config.required_headers
        self.message = csrf_message(config.required_headers)

    async def http_request(self, ctx: HttpRequestContext) -> None:
        if not is_preflighted(ctx.headers, self.required):
            raise Reject(400, self.message, ErrorCode.CSRF_ERROR)
