"""uvicorn's httptools protocol with a response's writes sent in one system call.

uvicorn writes a response's status line and headers as soon as the app sends
`http.response.start`, then the body: two `send()` calls on the socket per
response, and on loopback each one also pays for the kernel's delivery to the
peer (the largest single item in the router's CPU profile after the event
loop itself). Here the connection's transport collects the writes made during
one event-loop iteration and sends them together at the end of it, so a JSON
response costs one system call. Nothing waits longer than that iteration.

    uvicorn.run(app, http=CoalescingHttpToolsProtocol, ...)
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["CoalescingHttpToolsProtocol"]


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


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
