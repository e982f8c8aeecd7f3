"""Accept and Content-Type checks (406 and 415)."""

from __future__ import annotations

from router.http.csrf import media_type

__all__ = ["accepts_json", "is_json_content_type"]

_ACCEPTABLE = (
    "*/*",
    "application/*",
    "application/json",
    "application/graphql-response+json",
    "multipart/mixed",
    "text/event-stream",
)


def accepts_json(accept: str | None) -> bool:
    """No Accept header, or one naming a type the router can answer with."""
    if accept is None or not accept.strip():
        return True
    for part in accept.split(","):
        mt = part.split(";", 1)[0].strip().lower()
        if mt in _ACCEPTABLE:
            return True
    return False


def is_json_content_type(content_type: str | None) -> bool:
    mt = media_type(content_type)
    return mt in ("application/json", "application/graphql-response+json")
