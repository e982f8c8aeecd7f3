"""The router's uvicorn protocol: one write per response, nothing lost or reordered."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from router.server.protocol import CoalescingHttpToolsProtocol, _CoalescingTransport


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


async def test_a_real_server_answers_pipelined_keep_alive_and_streamed_requests() -> None:
    app = Starlette(routes=[Route("/json", _json, methods=["POST"]), Route("/stream", _stream)])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, http=CoalescingHttpToolsProtocol, log_level="warning"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]

    def client() -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            requests = [
                b"POST /json HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\none",
                b"POST /json HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\ntwo",
                b"GET /stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            ]
            sock.sendall(b"".join(requests))  # pipelined on one connection
            return _read_until_closed(sock)

    try:
        raw = await asyncio.to_thread(client)
    finally:
        server.should_exit = True
        await serving
    assert raw.count(b"HTTP/1.1 200 OK") == 3
    assert raw.index(b'{"echo":"one"}') < raw.index(b'{"echo":"two"}') < raw.index(b"part0;")
    assert b"part1;" in raw and b"part2;" in raw  # the connection closed after the whole stream
