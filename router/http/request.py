"""A light view of one HTTP request over its ASGI scope.

The GraphQL endpoint is the router's hot path, so it reads the scope directly
instead of building Starlette's `Request`: the headers are decoded once into
a dict (lower-case names; the first of repeated headers wins, as Starlette's
`Headers.get` does) and every later lookup is a dict access.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import QueryParams
from starlette.types import Receive, Scope

__all__ = ["HttpRequest"]


class HttpRequest:
    __slots__ = ("headers", "method", "path", "receive", "scope")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.scope = scope
        self.receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:
            key = name.decode("latin-1").lower()
            if key not in headers:
                headers[key] = value.decode("latin-1")
        self.headers = headers

    @property
    def query_params(self) -> QueryParams:
        return QueryParams(self.scope.get("query_string", b""))

    @property
    def client_host(self) -> str | None:
        client: Any = self.scope.get("client")
        return client[0] if client else None
