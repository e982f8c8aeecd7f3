"""`ForwardingProtocol`: an asyncio protocol in front of the server's own, passing events on.

The router's loop puts the head guard (`head_guard`) in front of uvicorn's protocol
through asyncio's protocol contract alone; a subclass overrides only the events it looks
at. (`coalescing_loop` needs no forwarder: it hands uvicorn's protocol its transport in
`connection_made` and then steps aside with `set_protocol`.)
"""

from __future__ import annotations

import asyncio

__all__ = ["ForwardingProtocol"]


class ForwardingProtocol(asyncio.Protocol):
    __slots__ = ("_inner",)

    def __init__(self, inner: asyncio.Protocol) -> None:
        self._inner = inner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()
