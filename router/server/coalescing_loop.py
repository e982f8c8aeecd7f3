"""uvloop's event loop, with a TCP server's writes of one loop iteration sent in one system call.

uvicorn writes a response's status line and headers as soon as the app sends
`http.response.start`, then the body: two `send()` calls on the socket per
response, and on loopback each one also pays for the kernel's delivery to the
peer (the router's largest single cost after the event loop itself). On this
loop, every connection a server accepts gets a transport that collects the
writes made during one event-loop iteration and sends them together at the
end of it, so a JSON response costs one system call. Nothing waits longer
than that iteration.

It is plugged in through public API only: uvicorn's `loop=` option takes an
event-loop factory by import string, and asyncio's `create_server` contract
(a protocol factory, protocols that get their transport in `connection_made`,
transports whose `set_protocol` hands the connection to another protocol) is
all the wrapping relies on; uvicorn's protocols are never imported.

    uvicorn.run(app, loop=LOOP, http="httptools", ...)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import uvloop

from router.server.head_guard import HeadGuard, HeadLimits, current_limits

__all__ = ["LOOP", "CoalescingLoop"]

#: the `loop=` value for uvicorn (`--loop` on its command line)
LOOP = "router.server.coalescing_loop:CoalescingLoop"


class _CoalescingTransport:
    """Buffers `write`s until the loop's next turn; everything else is the real transport."""

    __slots__ = ("_buffer", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._buffer: list[bytes] | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if self._buffer is None:
            self._buffer = [bytes(data)]
            self._loop.call_soon(self._flush)
        else:
            self._buffer.append(bytes(data))

    def writelines(self, chunks: Any) -> None:
        for chunk in chunks:
            self.write(chunk)

    def _flush(self) -> None:
        buffer, self._buffer = self._buffer, None
        if buffer and not self._transport.is_closing():
            self._transport.write(buffer[0] if len(buffer) == 1 else b"".join(buffer))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def abort(self) -> None:
        self._buffer = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _Connecting(asyncio.Protocol):
    """The protocol a new connection starts with, for `connection_made` only.

    It gives the server's own protocol a coalescing transport, then steps aside with the
    transport's public `set_protocol`: every later event goes straight to the server's
    protocol (or to the head guard in front of it), with no forwarding frame per read.
    """

    __slots__ = ("_inner", "_limits", "_loop")

    def __init__(
        self, inner: asyncio.Protocol, loop: asyncio.AbstractEventLoop, limits: HeadLimits | None
    ) -> None:
        self._inner = inner
        self._loop = loop
        self._limits = limits

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        inner, limits = self._inner, self._limits
        if limits is None:
            transport.set_protocol(inner)
        else:
            guard = HeadGuard(inner, limits, self._loop)
            transport.set_protocol(guard)
            guard.attach(transport)
        inner.connection_made(_CoalescingTransport(transport, self._loop))  # type: ignore[arg-type]


class CoalescingLoop(uvloop.Loop):
    """uvloop, whose TCP servers hand their protocols coalescing transports.

    With request-head limits configured (`head_guard.configure`, before the server is
    created), each connection is also guarded by a `HeadGuard` in front of the protocol:
    it sees the reads, the server's protocol sees them after it.
    """

    async def create_server(  # type: ignore[override]
        self, protocol_factory: Callable[[], asyncio.BaseProtocol], *args: Any, **kwargs: Any
    ) -> asyncio.AbstractServer:
        limits = current_limits()

        def coalescing() -> asyncio.BaseProtocol:
            protocol = protocol_factory()
            if isinstance(protocol, asyncio.BufferedProtocol) or not isinstance(
                protocol, asyncio.Protocol
            ):
                return protocol  # only plain streaming protocols are wrapped
            return _Connecting(protocol, self, limits)

        return await super().create_server(coalescing, *args, **kwargs)
