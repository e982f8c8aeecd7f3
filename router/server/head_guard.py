"""Limits on reading a request head: header count and size (431), and how long it may take.

uvicorn with httptools reads a request's head without bound: any number of headers, of any
size, for as long as the client takes. A client sending one header line a second holds a
connection, and what it sent, forever (slowloris), and the ASGI app never hears of it: it is
called once the head is complete. uvicorn has no public option for either (its
`h11_max_incomplete_event_size` is h11's; `timeout_keep_alive` starts after a response). So
the limits live at the connection, in front of uvicorn's protocol, wrapped the way
`coalescing_loop` wraps it (asyncio's protocol contract only; uvicorn's protocols are never
imported):

- from the moment a connection is made, and again when the router has answered a request
  on it, the client has `timeout_s` to send a complete head (request line, headers, blank
  line); a sweep closes the connections past it;
- while a head is read, its header lines and bytes (request line included) are counted;
  past a limit the client gets 431 with a GraphQL error naming the limit and the connection
  is closed, before uvicorn has buffered more than one read beyond it.

The router's app says when it has answered a request (`request_done`, by the client
address uvicorn puts in the scope), since only the app knows where a request's body ends.
`configure` sets the limits before uvicorn starts (uvicorn makes the loop from an import
string, so they cannot be passed in); with none set nothing is wrapped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from router.errors import ErrorCode, graphql_error
from router.server.forwarding import ForwardingProtocol
from router.settings.limits import LimitsSettings

__all__ = ["GUARDED", "HeadGuard", "HeadLimits", "configure", "current_limits", "request_done"]

log = logging.getLogger("chorus.router")

_END = b"\r\n\r\n"
#: how often the sweep looks at connections when no timeout sets a shorter period
_IDLE_SWEEP_S = 5.0


@dataclass(frozen=True, slots=True)
class HeadLimits:
    """`None` switches a limit off; all `None` is no guard at all."""

    max_headers: int | None = None
    max_bytes: int | None = None
    timeout_s: float | None = None

    @property
    def active(self) -> bool:
        return not (self.max_headers is None and self.max_bytes is None and self.timeout_s is None)

    @classmethod
    def of(cls, limits: LimitsSettings) -> HeadLimits:
        return cls(
            limits.http_max_headers, limits.http_max_header_bytes, limits.http_header_read_timeout_s
        )


_limits: HeadLimits | None = None
#: the guarded connections, by the client address uvicorn reports in the scope (empty when
#: nothing is guarded: the app checks it before calling `request_done`)
GUARDED: dict[tuple[str, int], HeadGuard] = {}


def configure(limits: HeadLimits | None) -> None:
    """The limits connections accepted from now on get (None or all-None: unguarded)."""
    global _limits
    _limits = limits if limits is not None and limits.active else None


def current_limits() -> HeadLimits | None:
    return _limits


def request_done(scope: Mapping[str, Any]) -> None:
    """The app answered a request on this connection: the next head's clock starts now."""
    client = scope.get("client")
    if client is None or not GUARDED:
        return
    guard = GUARDED.get(tuple(client))  # uvicorn's `client` is the peer's (host, port)
    if guard is None:
        return
    if scope["type"] == "http":
        guard.restart()
    else:  # a WebSocket: the connection left HTTP (uvicorn swapped the protocol)
        guard.forget()


def _reply(status: int, reason: bytes, message: str, code: str) -> bytes:
    body = orjson.dumps({"errors": [graphql_error(message, None, code)]})
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n" % (status, reason, len(body))
    ) + body


class HeadGuard(ForwardingProtocol):
    """Wraps the server's protocol: counts and times each request head, forwards everything."""

    __slots__ = (
        "_bytes",
        "_key",
        "_limits",
        "_lines",
        "_loop",
        "_reading",
        "_tail",
        "since",
        "transport",
    )

    def __init__(
        self, inner: asyncio.Protocol, limits: HeadLimits, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(inner)
        self._limits = limits
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._key: tuple[str, int] | None = None
        self._reading = True
        self._bytes = 0
        self._lines = 0
        self._tail = b""
        #: when the current head began to be awaited (None: not reading a head)
        self.since: float | None = None

    # ------------------------------------------------------------- lifecycle
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.attach(transport)
        self._inner.connection_made(transport)

    def attach(self, transport: asyncio.BaseTransport) -> None:
        """Start guarding `transport`'s connection (the inner protocol is told by the caller:
        the router's loop hands it a coalescing transport instead)."""
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._key = (str(peer[0]), int(peer[1]))
            GUARDED[self._key] = self
        self.restart()
        _sweeper(self._loop, self._limits).add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.forget()
        self._inner.connection_lost(exc)

    def forget(self) -> None:
        """Stop guarding this connection (closed, or no longer speaking HTTP)."""
        self._reading = False
        self.since = None
        if self._key is not None and GUARDED.get(self._key) is self:
            del GUARDED[self._key]
        sweeper = _sweepers.get(self._loop)
        if sweeper is not None:
            sweeper.guards.discard(self)

    def restart(self) -> None:
        """A new head is due: count it from zero, time it from now."""
        self._reading = True
        self._bytes = self._lines = 0
        self._tail = b""
        self.since = self._loop.time() if self._limits.timeout_s is not None else None

    def expire(self) -> None:
        """The head took longer than the timeout: cut the connection."""
        log.info("closing a connection whose request head took over %ss", self._limits.timeout_s)
        self.forget()
        if self.transport is not None:
            self.transport.close()

    # ------------------------------------------------------------------ data
    def data_received(self, data: bytes) -> None:
        if self._reading:
            end = data.find(_END) if self._bytes == 0 else -1
            limits = self._limits
            if (
                end >= 0
                and (limits.max_bytes is None or end <= limits.max_bytes)
                and (limits.max_headers is None or data.count(b"\n", 0, end) <= limits.max_headers)
            ):  # the usual read: a whole head within the limits, inline (no `_count` frame)
                self._reading = False
                self.since = None
            elif not self._count(data):
                return
        self._inner.data_received(data)

    def _count(self, data: bytes) -> bool:
        """Count this read's part of the head; False when the client was refused."""
        end = data.find(_END)
        if end < 0 and self._tail:  # the blank line may straddle two reads
            at = (self._tail + data[:3]).find(_END)
            if at >= 0:
                end = max(at - len(self._tail), 0)
        size = len(data) if end < 0 else end
        self._bytes += size
        self._lines += data.count(b"\n", 0, size)
        limits = self._limits
        # a complete head has one line per header (the request line's end starts the first);
        # an incomplete one has as many as its finished header lines plus the request line
        headers = self._lines if end >= 0 else self._lines - 1
        if limits.max_headers is not None and headers > limits.max_headers:
            self._refuse(f"the request has more than {limits.max_headers} headers")
            return False
        if limits.max_bytes is not None and self._bytes > limits.max_bytes:
            self._refuse(f"the request's headers are larger than {limits.max_bytes} bytes")
            return False
        if end >= 0:
            self._reading = False
            self.since = None
        else:
            self._tail = data[-3:]
        return True

    def _refuse(self, message: str) -> None:
        self.forget()
        if self.transport is not None and not self.transport.is_closing():
            reply = _reply(
                431,
                b"Request Header Fields Too Large",
                message,
                ErrorCode.REQUEST_HEADER_FIELDS_TOO_LARGE,
            )
            self.transport.write(reply)
            self.transport.close()


class _Sweeper:
    """The guarded connections of one loop, and the timer that closes slow heads."""

    __slots__ = ("guards", "handle", "loop", "period", "timeout")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.guards: set[HeadGuard] = set()
        self.timeout: float | None = None
        self.period = _IDLE_SWEEP_S
        self.handle: asyncio.TimerHandle | None = None

    def add(self, guard: HeadGuard) -> None:
        self.guards.add(guard)
        if self.handle is None:
            self.handle = self.loop.call_later(self.period, self.sweep)

    def sweep(self) -> None:
        now = self.loop.time()
        timeout = self.timeout
        for guard in list(self.guards):
            transport = guard.transport
            if transport is None or transport.is_closing() or transport.get_protocol() is not guard:
                guard.forget()  # closed, or handed to a WebSocket protocol
            elif timeout is not None and guard.since is not None and now - guard.since > timeout:
                guard.expire()
        self.handle = self.loop.call_later(self.period, self.sweep) if self.guards else None


_sweepers: dict[asyncio.AbstractEventLoop, _Sweeper] = {}


def _sweeper(loop: asyncio.AbstractEventLoop, limits: HeadLimits) -> _Sweeper:
    s = _sweepers.get(loop)
    if s is None:
        for old in [lp for lp in _sweepers if lp.is_closed()]:
            del _sweepers[old]
        s = _sweepers[loop] = _Sweeper(loop)
    s.timeout = limits.timeout_s
    s.period = min(limits.timeout_s / 4, 1.0) if limits.timeout_s is not None else _IDLE_SWEEP_S
    return s
