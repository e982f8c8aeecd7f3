"""The pooled subgraph client: keep-alive reuse; a connection the server closed is not reused."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

from router.subgraph_call.http1 import RECHECK_AFTER_S, ConnectionPool

RESPONSE = (
    b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"data":{}}'
)


class _Server:
    """Answers every request; closes a connection once it has been idle for `idle_close_s`."""

    def __init__(self, idle_close_s: float) -> None:
        self.idle_close_s = idle_close_s
        self.connections = 0
        self.requests = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_close_s)
                except (TimeoutError, asyncio.IncompleteReadError):
                    return
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                self.requests += 1
                writer.write(RESPONSE)
                await writer.drain()
        finally:
            writer.close()


@contextlib.contextmanager
def _serving(idle_close_s: float) -> Iterator[tuple[_Server, str]]:
    """The server on its own thread and loop, so it keeps time while the test's loop is blocked."""
    s = _Server(idle_close_s)
    started = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        server = await asyncio.start_server(s.handle, "127.0.0.1", 0)
        stop = asyncio.Event()
        box.update(port=server.sockets[0].getsockname()[1], stop=stop)
        box["loop"] = asyncio.get_running_loop()
        started.set()
        await stop.wait()
        server.close()
        handlers = asyncio.all_tasks() - {asyncio.current_task()}
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert started.wait(5)
    try:
        yield s, f"http://127.0.0.1:{box['port']}/graphql"
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(5)


async def test_busy_connections_are_reused() -> None:
    with _serving(idle_close_s=5) as (s, url):
        pool = ConnectionPool(url)
        try:
            for _ in range(20):
                r = await pool.post(b"{}")
                assert r.status == 200 and r.body == b'{"data":{}}'
            assert s.connections == 1 and s.requests == 20
        finally:
            await pool.aclose()


async def test_a_close_the_event_loop_has_not_seen_yet_is_caught() -> None:
    # The server closes a connection idle for 0.3 s. The test's loop is blocked meanwhile
    # (time.sleep), so the FIN waits in the kernel unseen: only the pool's check of an idle
    # connection (older than RECHECK_AFTER_S) keeps the next request off the dead socket.
    assert RECHECK_AFTER_S < 0.3
    with _serving(idle_close_s=0.3) as (s, url):
        pool = ConnectionPool(url)
        try:
            for _ in range(4):
                assert (await pool.post(b"{}")).status == 200
                time.sleep(0.5)  # noqa: ASYNC251 - blocking on purpose, see above
            assert s.requests == 4 and s.connections == 4
        finally:
            await pool.aclose()
