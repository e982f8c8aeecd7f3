"""The router served as `chorus router` serves it (uvicorn, the router's loop, its head
guard), in a thread, for tests that talk to it over real sockets."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from router.server import head_guard
from router.server.coalescing_loop import LOOP
from router.server.head_guard import HeadLimits
from router.settings import RouterSettings


@contextlib.contextmanager
def served(app: Any, settings: RouterSettings) -> Iterator[int]:
    """Serve `app` on 127.0.0.1 with the head limits of `settings`; yields the port."""
    head_guard.configure(HeadLimits.of(settings.limits))
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        loop=LOOP,
        http="httptools",
        log_level="warning",
        lifespan="off",
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            time.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        head_guard.configure(None)


def read_response(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """What the server sends until it closes the connection (or `timeout` passes)."""
    sock.settimeout(timeout)
    out = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := sock.recv(65536):
            out += chunk
    return out
