"""CORS by allow-list (Starlette's middleware, configured from `CorsSettings`)."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from router.settings.security import CorsSettings

__all__ = ["cors_middleware"]


def cors_middleware(cors: CorsSettings) -> list[Middleware]:
    """No middleware (browsers refuse cross-origin reads) unless origins are listed."""
    if not cors.origins and not cors.match_origins:
        return []
    regex = "|".join(f"(?:{p})" for p in cors.match_origins) or None
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(cors.origins),
            allow_origin_regex=regex,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=list(cors.allow_headers),
            expose_headers=list(cors.expose_headers),
            allow_credentials=cors.allow_credentials,
            max_age=cors.max_age_s,
        )
    ]
