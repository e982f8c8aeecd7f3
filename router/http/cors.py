"""CORS by allow-list, as a plugin: Starlette's `CORSMiddleware` for HTTP, and the same
allow-list for the WebSocket upgrade.

Browsers enforce CORS on HTTP reads, but not on WebSockets: any page may open a socket
to the router and the browser sends the user's cookies along (cross-site WebSocket
hijacking). So the upgrade checks `Origin` itself: no `Origin` (not a browser), the
router's own origin (GraphiQL, pages served with `--static`) or an allowed one may
connect; any other is refused with 403 before the socket is accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Scope

from router.plugins import Plugin
from router.settings.security import CorsSettings

__all__ = ["CorsPlugin"]


class CorsPlugin(Plugin):
    """Owns `security.cors`: the middleware for HTTP, `allows_websocket` for the upgrade."""

    Config: ClassVar[type[BaseModel]] = CorsSettings

    def __init__(self, config: CorsSettings) -> None:
        super().__init__(config)
        self.origins = frozenset(config.origins)
        self.regex = "|".join(f"(?:{p})" for p in config.match_origins) or None
        self._pattern = re.compile(self.regex) if self.regex else None

    @property
    def configured(self) -> bool:
        return bool(self.origins or self._pattern)

    def middleware(self) -> Sequence[Middleware]:
        """No middleware (browsers refuse cross-origin reads) unless origins are listed."""
        cors = self.config
        if not self.configured:
            return ()
        return (
            Middleware(
                CORSMiddleware,
                allow_origins=list(cors.origins),
                allow_origin_regex=self.regex,
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=list(cors.allow_headers),
                expose_headers=list(cors.expose_headers),
                allow_credentials=cors.allow_credentials,
                max_age=cors.max_age_s,
            ),
        )

    def wraps(self, scope: Scope) -> bool:
        """Only a request with an `Origin` header needs the middleware."""
        return any(name == b"origin" for name, _ in scope["headers"])

    def allows_origin(self, origin: str) -> bool:
        """The allow-list, as `CORSMiddleware` reads it (exact, `*`, or a full regex match)."""
        if "*" in self.origins or origin in self.origins:
            return True
        return self._pattern is not None and self._pattern.fullmatch(origin) is not None

    def allows_websocket(self, headers: Mapping[str, str]) -> bool:
        """May a WebSocket with these upgrade headers connect (see the module docstring)?"""
        origin = headers.get("origin")
        if origin is None:
            return True
        host = headers.get("host", "").lower()
        if host and urlsplit(origin).netloc.lower() == host:
            return True
        return self.allows_origin(origin)
