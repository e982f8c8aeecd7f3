"""`AsgiCaller`: POSTs JSON bodies to an ASGI app in process, the way uvicorn hands it a request.

No sockets and no server: what a bench times is the app's own handling (its middleware,
the kit's lean path, strawberry). Used by bench/dialogue_overhead.py and
bench/subgraph_request.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import orjson

__all__ = ["AsgiCaller"]


class AsgiCaller:
    """POSTs JSON bodies to `app`'s /graphql; every answer must be a 200."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def post_raw(self, body: bytes) -> bytes:
        """The answer's bytes, not decoded (for benches that time the app alone)."""
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"subgraph"),
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 4001),
            "state": {},
            "app": self.app,
        }
        sent = False
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # a disconnect never comes
            raise AssertionError

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                assert message["status"] == 200, message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return b"".join(chunks)

    async def post(self, body: bytes) -> dict[str, Any]:
        """The decoded answer, which must carry no errors."""
        answer: dict[str, Any] = orjson.loads(await self.post_raw(body))
        assert "errors" not in answer, answer
        return answer
