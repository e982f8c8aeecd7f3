"""The router's event loop for uvicorn: one write per response, nothing lost or reordered."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from websockets.sync.client import connect

from router.server.coalescing_loop import LOOP, CoalescingLoop, _CoalescingTransport


class _Recording:
    def __init__(self) -> None:
        self.calls: list[Any] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.calls.append(("write", data))

    def close(self) -> None:
        self.calls.append(("close",))
        self.closing = True

    def abort(self) -> None:
        self.calls.append(("abort",))

    def write_eof(self) -> None:
        self.calls.append(("eof",))

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


async def test_writes_of_one_iteration_go_out_together_in_order() -> None:
    real = _Recording()
    t = _CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    t.write(b"HTTP/1.1 200 OK\r\n\r\n")
    t.write(b"")
    t.write(b"body")
    assert real.calls == []
    await asyncio.sleep(0)
    assert real.calls == [("write", b"HTTP/1.1 200 OK\r\n\r\nbody")]
    t.write(b"more")
    t.write_eof()  # an EOF never overtakes buffered bytes
    t.write(b"x")
    t.close()  # nor does a close
    assert real.calls[1:] == [("write", b"more"), ("eof",), ("write", b"x"), ("close",)]
    t.write(b"late")
    await asyncio.sleep(0)
    assert real.calls[-1] == ("close",)  # nothing is written to a closing transport
    assert t.get_extra_info("peername") == "info:peername"


async def test_abort_drops_what_is_buffered() -> None:
    real = _Recording()
    t = _CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]
    t.write(b"half a response")
    t.abort()
    await asyncio.sleep(0)
    assert real.calls == [("abort",)]


async def _json(request: Request) -> JSONResponse:
    return JSONResponse({"echo": (await request.body()).decode()})


async def _stream(request: Request) -> StreamingResponse:
    async def parts() -> Any:
        for i in range(3):
            yield f"part{i};".encode()
            await asyncio.sleep(0.01)

    return StreamingResponse(parts(), media_type="text/plain")


def _read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        data = sock.recv(65536)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


class _Inner(asyncio.Protocol):
    def __init__(self) -> None:
        self.events: list[Any] = []
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.events.append("made")

    def data_received(self, data: bytes) -> None:
        self.events.append(data)
        self.transport.write(b"head;")
        self.transport.write(b"body")

    def eof_received(self) -> bool:
        self.events.append("eof")
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.events.append("lost")


def test_the_loop_wraps_every_accepted_connection_of_a_server() -> None:
    """Every protocol a server makes gets a coalescing transport (and its data, in order)."""
    inner: list[_Inner] = []

    async def main() -> bytes:
        server = await asyncio.get_running_loop().create_server(
            lambda: inner.append(_Inner()) or inner[-1], "127.0.0.1", 0
        )
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping")
        first = await reader.readexactly(9)
        # the wrapper stepped aside after connection_made: reads go to the server's protocol
        assert inner[0].transport.get_protocol() is inner[0]
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return first

    with asyncio.Runner(loop_factory=CoalescingLoop) as runner:
        assert runner.run(main()) == b"head;body"
    assert isinstance(inner[0].transport, _CoalescingTransport)
    assert inner[0].events[:2] == ["made", b"ping"]


def _serve(app: Starlette) -> tuple[uvicorn.Server, threading.Thread, int]:
    """uvicorn on the router's loop (`loop=LOOP`, public options only), in a thread."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, loop=LOOP, http="httptools", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        time.sleep(0.01)
    assert server.started
    return server, thread, server.servers[0].sockets[0].getsockname()[1]


def test_a_real_server_answers_pipelined_keep_alive_and_streamed_requests() -> None:
    app = Starlette(routes=[Route("/json", _json, methods=["POST"]), Route("/stream", _stream)])
    server, thread, port = _serve(app)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            requests = [
                b"POST /json HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\none",
                b"POST /json HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\ntwo",
                b"GET /stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            ]
            sock.sendall(b"".join(requests))  # pipelined on one connection
            raw = _read_until_closed(sock)
    finally:
        server.should_exit = True
        thread.join(10)
    assert isinstance(server.config.get_loop_factory()(), CoalescingLoop)
    assert raw.count(b"HTTP/1.1 200 OK") == 3
    assert raw.index(b'{"echo":"one"}') < raw.index(b'{"echo":"two"}') < raw.index(b"part0;")
    assert b"part1;" in raw and b"part2;" in raw  # the connection closed after the whole stream


async def _echo_socket(ws: WebSocket) -> None:
    await ws.accept()
    async for text in ws.iter_text():
        await ws.send_text(f"echo {text}")


def test_a_websocket_upgrade_works_on_the_wrapped_transport() -> None:
    server, thread, port = _serve(Starlette(routes=[WebSocketRoute("/ws", _echo_socket)]))
    try:
        with connect(f"ws://127.0.0.1:{port}/ws", proxy=None) as ws:
            ws.send("a")
            ws.send("b")
            assert [ws.recv(timeout=5), ws.recv(timeout=5)] == ["echo a", "echo b"]
    finally:
        server.should_exit = True
        thread.join(10)
