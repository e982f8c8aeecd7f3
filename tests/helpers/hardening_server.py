"""A real (socket) HTTP/1.1 server for subgraphs that can be told to misbehave.

`SubgraphServer` serves strawberry schemas at /<name> over raw asyncio
streams, so a test can make one subgraph answer HTML, close the connection,
answer late, answer 503 then recover, and so on, while the router talks to it
through its ordinary pooled httpx clients. It also serves static documents
(a JWKS) and counts requests and concurrency per path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

PORT_RANGE = range(5400, 5600)
_next_port = 5400


def free_port() -> int:
    """A port in this suite's range (5400-5599) that can be bound now."""
    global _next_port
    for _ in range(len(PORT_RANGE)):
        port = _next_port
        _next_port = _next_port + 1 if _next_port + 1 < PORT_RANGE.stop else PORT_RANGE.start
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 5400-5599")


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def name(self) -> str:
        return self.path.strip("/").split("?")[0]

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


#: a fault answers instead of the subgraph: a Reply, or None to drop the connection
Fault = Callable[[Request, "SubgraphServer"], Awaitable[Reply | None]]

_REASONS = {
    200: "OK",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    404: "Not Found",
}


class SubgraphServer:
    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self.port = 0
        self.faults: dict[str, list[Fault]] = defaultdict(list)
        self.sticky: dict[str, Fault] = {}
        self.static: dict[str, Reply | Callable[[], Reply | None]] = {}
        self.requests: dict[str, list[Request]] = defaultdict(list)
        self.in_flight: dict[str, int] = defaultdict(int)
        self.max_in_flight: dict[str, int] = defaultdict(int)
        self.cancelled = 0
        self._server: asyncio.Server | None = None
        self._conns: set[asyncio.Task[None]] = set()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    async def start(self) -> SubgraphServer:
        self.port = free_port()
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for t in list(self._conns):
                t.cancel()
            await asyncio.gather(*self._conns, return_exceptions=True)
            await self._server.wait_closed()

    def reset(self) -> None:
        self.faults.clear()
        self.sticky.clear()
        self.requests.clear()
        self.max_in_flight.clear()

    def count(self, name: str) -> int:
        return len(self.requests[name])

    # ------------------------------------------------------------ protocol
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            while True:
                req = await _read(reader)
                if req is None:
                    return
                reply = await self._answer(req)
                if reply is None:
                    return  # fault: drop the connection without answering
                head = (
                    f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'X')}\r\n"
                    f"content-type: {reply.content_type}\r\n"
                    f"content-length: {len(reply.body)}\r\n"
                    + "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
                    + "\r\n"
                ).encode()
                writer.write(head)
                view = memoryview(reply.body)
                for i in range(0, len(view), 1 << 20):
                    writer.write(view[i : i + (1 << 20)])
                    await writer.drain()
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        except asyncio.CancelledError:
            return
        finally:
            self._conns.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(self, req: Request) -> Reply | None:
        static = self.static.get(req.path)
        if static is not None:
            return static() if callable(static) else static
        name = req.name
        self.requests[name].append(req)
        self.in_flight[name] += 1
        self.max_in_flight[name] = max(self.max_in_flight[name], self.in_flight[name])
        try:
            queue = self.faults.get(name)
            fault = queue.pop(0) if queue else self.sticky.get(name)
            if fault is not None:
                return await fault(req, self)
            return await self.execute(req)
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self.in_flight[name] -= 1

    async def execute(self, req: Request) -> Reply:
        schema = self.schemas.get(req.name)
        if schema is None:
            return Reply(404, b"not found", "text/plain")
        payload = req.json()
        result = await schema.execute(
            payload["query"], variable_values=payload.get("variables") or None
        )
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [e.formatted for e in result.errors]
        return Reply(200, json.dumps(out).encode())


async def _read(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    body = await reader.readexactly(n) if n else b""
    return Request(method, path, headers, body)


# ---------------------------------------------------------------- faults
def reply(
    status: int,
    body: bytes | str,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Fault:
    data = body.encode() if isinstance(body, str) else body

    async def fault(req: Request, server: SubgraphServer) -> Reply | None:
        return Reply(status, data, content_type, dict(headers or {}))

    return fault


def html(status: int) -> Fault:
    return reply(status, "<html><body><h1>Oops</h1></body></html>", "text/html")


def drop() -> Fault:
    async def fault(req: Request, server: SubgraphServer) -> Reply | None:
        return None

    return fault


def slow(seconds: float) -> Fault:
    """Answer correctly, but only after `seconds`."""

    async def fault(req: Request, server: SubgraphServer) -> Reply | None:
        await asyncio.sleep(seconds)
        return await server.execute(req)

    return fault
