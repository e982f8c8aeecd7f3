"""A lean pooled HTTP/1.1 client for subgraph POSTs (asyncio protocol + httptools).

Why not httpx: on a two-subgraph join httpx/httpcore/anyio cost the router
about 0.5 ms of CPU per subgraph call (cancel scopes, locks, h11, cookie and
header models); this client writes one buffer per request and parses the
answer with httptools (llhttp, the parser uvicorn already uses), which costs
a few tens of microseconds under uvloop.

One `ConnectionPool` per subgraph URL: keep-alive connections are reused LIFO,
at most `max_connections` requests are in flight (more wait their turn), and a
connection is dropped whenever its exchange did not end cleanly (error,
cancellation, `Connection: close`), so a pooled connection never holds half a
response. Requests are never retried here: the traffic policy decides that.
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import ssl
from collections.abc import Mapping
from typing import cast
from urllib.parse import urlsplit

import httptools

from router.subgraph_call.slots import Slots

__all__ = ["ConnectionPool", "HTTPResponse", "ResponseTooLarge"]

#: an idle connection older than this is checked for a close the loop has not seen yet
RECHECK_AFTER_S = 0.25

#: headers this client writes itself; propagation rules cannot override them
_OWN = frozenset({"host", "content-length", "content-type", "accept", "connection"})


class ResponseTooLarge(Exception):
    """The body passed `max_bytes` (the connection is dropped)."""


class HTTPResponse:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        #: lower-case names; a repeated header keeps its last value
        self.headers = headers
        self.body = body


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `exchange` sends a request and waits for its response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self._fd = -1
        self.usable = False
        #: loop time the last exchange ended (idle connections expire)
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[HTTPResponse] | None = None
        self._status = 0
        self._headers: dict[str, str] = {}
        self._chunks: list[bytes] = []
        self._size = 0
        self._max_bytes: int | None = None
        self._keep_alive = False
        #: headers done, no length and not chunked: the body ends when the peer closes
        self._until_close = False

    # ----------------------------------------------------------- protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        self._fd = sock.fileno() if sock is not None else -1
        self.usable = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.usable = False
        w = self._waiter
        if w is not None and not w.done():
            if self._until_close and exc is None:
                self._complete()
            else:
                w.set_exception(
                    ConnectionResetError("the subgraph closed the connection before answering")
                )

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:
            self.close()  # bytes nobody asked for: the connection is out of step
            return
        try:
            self._parser.feed_data(data)
        except Exception as exc:  # httptools wraps what a callback raises
            if self._size > (self._max_bytes or self._size):
                self._fail(ResponseTooLarge(f"response is larger than {self._max_bytes} bytes"))
            else:
                self._fail(ConnectionError(f"invalid HTTP response: {exc}"))

    def eof_received(self) -> bool | None:
        self.usable = False
        return None  # close the transport; connection_lost settles the waiter

    # ------------------------------------------------------ parser events
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._status = self._parser.get_status_code()
        self._keep_alive = self._parser.should_keep_alive()
        h = self._headers
        self._until_close = "content-length" not in h and "transfer-encoding" not in h

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._max_bytes is not None and self._size > self._max_bytes:
            raise ResponseTooLarge  # stops the parser; data_received reports it
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        self._complete()

    # ------------------------------------------------------------- helpers
    def _complete(self) -> None:
        w = self._waiter
        self._waiter = None
        if not self._keep_alive:
            self.usable = False
        body = self._chunks[0] if len(self._chunks) == 1 else b"".join(self._chunks)
        if w is not None and not w.done():
            w.set_result(HTTPResponse(self._status, self._headers, body))

    def _fail(self, exc: Exception) -> None:
        w = self._waiter
        self._waiter = None
        self.close()
        if w is not None and not w.done():
            w.set_exception(exc)

    def close(self) -> None:
        self.usable = False
        if self.transport is not None:
            with contextlib.suppress(RuntimeError):  # its event loop is already closed
                self.transport.abort()

    def reusable(self, idle_after: float, now: float) -> bool:
        """Open, clean, idle since after `idle_after` (loop time), and nothing to read.

        An idle connection with bytes or an EOF waiting in the kernel (a server
        that closed it, which the event loop has not seen yet) is not reused:
        a request written to it would be lost. A connection that went idle less
        than `RECHECK_AFTER_S` ago is not asked (a `select` call each reuse was
        3 % of the router's CPU): no server closes a keep-alive connection that
        fast, and the event loop has seen any close that came with an answer.
        """
        t = self.transport
        if not self.usable or self.idle_since <= idle_after or t is None or t.is_closing():
            return False
        if self._fd >= 0 and now - self.idle_since > RECHECK_AFTER_S:
            try:
                readable, _, _ = select.select((self._fd,), (), (), 0)
            except (OSError, ValueError):
                return False
            return not readable
        return True

    def exchange(self, request: bytes, max_bytes: int | None) -> asyncio.Future[HTTPResponse]:
        assert self.transport is not None and self._waiter is None
        self._waiter = asyncio.get_running_loop().create_future()
        self._status = 0
        self._headers = {}
        self._chunks = []
        self._size = 0
        self._max_bytes = max_bytes
        self._keep_alive = False
        self._until_close = False
        self.transport.write(request)
        return self._waiter


class ConnectionPool:
    """Keep-alive connections to one `http://` or `https://` URL.

    A connection idle for `idle_timeout_s` is not reused: servers close idle
    keep-alive connections (uvicorn and Node after 5 s), and a request written
    just as the server closes would fail.
    """

    def __init__(
        self, url: str, *, max_connections: int = 100, idle_timeout_s: float = 4.0
    ) -> None:
        self.url = url
        self._max = max_connections
        self._idle_timeout = idle_timeout_s
        self._idle: list[_Connection] = []
        self._slots = Slots(max_connections)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._ssl: ssl.SSLContext | None = None
        #: a URL that is not http(s) fails its requests, not the supergraph load
        self._error: str | None = None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self._error = f"not an http(s) URL: {url!r}"
            self._head = b""
            return
        tls = parts.scheme == "https"
        default = 443 if tls else 80
        self._host = parts.hostname
        self._port = parts.port or default
        name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        host = name if parts.port in (None, default) else f"{name}:{parts.port}"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._head = (
            f"POST {path} HTTP/1.1\r\nhost: {host}\r\n"
            "content-type: application/json\r\n"
            "accept: application/graphql-response+json, application/json\r\n"
        ).encode("latin-1")
        if tls:
            self._ssl = ssl.create_default_context()

    def _request(self, body: bytes, extra: Mapping[str, str] | None) -> bytes:
        head = self._head
        if extra:
            head += "".join(
                f"{k}: {v}\r\n" for k, v in extra.items() if k.lower() not in _OWN
            ).encode("utf-8")
        return b"%scontent-length: %d\r\n\r\n%s" % (head, len(body), body)

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(
            _Connection,
            self._host,
            self._port,
            ssl=self._ssl,
            server_hostname=self._host if self._ssl is not None else None,
        )
        return conn

    async def post(
        self,
        body: bytes,
        extra_headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
    ) -> HTTPResponse:
        """POST `body`; raises OSError (connection), ResponseTooLarge, or is cancelled."""
        if self._error is not None:
            raise ConnectionError(self._error)
        if self._closed:
            raise ConnectionError("the connection pool is closed")
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections and waiters belong to one event loop
            self._rebind(loop)
        request = self._request(body, extra_headers)
        if (wait := self._slots.take()) is not None:
            await wait
        conn: _Connection | None = None
        try:
            idle = self._idle
            if idle:
                now = loop.time()
                fresh = now - self._idle_timeout
                while idle:
                    c = idle.pop()
                    if c.reusable(fresh, now):
                        conn = c
                        break
                    c.close()
            if conn is None:
                conn = await self._connect()
            resp = await conn.exchange(request, max_bytes)
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        finally:
            self._slots.give_back()
        if conn.usable and not self._closed:
            conn.idle_since = loop.time()
            self._idle.append(conn)
        else:
            conn.close()
        return resp

    def _rebind(self, loop: asyncio.AbstractEventLoop) -> None:
        while self._idle:
            self._idle.pop().close()
        self._slots = Slots(self._max)
        self._loop = loop

    async def aclose(self) -> None:
        self._closed = True
        while self._idle:
            self._idle.pop().close()
