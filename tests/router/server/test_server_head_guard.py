"""Request-head limits at the connection (`router.server.head_guard`), over real sockets.

The router is served as `chorus router` serves it (uvicorn, the router's loop); clients
are raw sockets, so a head can be as large, as long or as slow as a test needs.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers.hardening_harness import SHOP
from tests.helpers.router_server import read_response, served

TIMEOUT_S = 1.5
SETTINGS = RouterSettings.model_validate(
    {
        "limits": {
            "http_max_headers": 20,
            "http_max_header_bytes": 4096,
            "http_header_read_timeout_s": TIMEOUT_S,
        }
    }
)
HEALTH = b"GET /health HTTP/1.1\r\nhost: x\r\n"


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    sdl = SHOP.replace("{PRODUCTS_URL}", "http://127.0.0.1:9/p").replace(
        "{REVIEWS_URL}", "http://127.0.0.1:9/r"
    )
    with served(create_router_app(sdl, settings=SETTINGS), SETTINGS) as p:
        yield p


def _headers(n: int, size: int = 1) -> bytes:
    return b"".join(b"x-h%d: %s\r\n" % (i, b"v" * size) for i in range(n))


def _exchange(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        return read_response(sock)


def _status_and_body(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def test_a_request_within_the_limits_is_answered(port: int) -> None:
    # the request line, host and 18 more: 19 headers of 20
    raw = _exchange(port, HEALTH + _headers(18) + b"connection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200")


def test_too_many_headers_get_431_saying_so(port: int) -> None:
    raw = _exchange(port, HEALTH + _headers(25) + b"\r\n")
    status, body = _status_and_body(raw)
    assert status == 431
    [error] = body["errors"]  # type: ignore[misc]
    assert error["extensions"]["code"] == "REQUEST_HEADER_FIELDS_TOO_LARGE"
    assert "more than 20 headers" in error["message"]


def test_headers_too_large_get_431_before_the_head_ends(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(HEALTH + b"x-big: " + b"a" * 8000)  # no end of head yet
        raw = read_response(sock)
    status, body = _status_and_body(raw)
    assert status == 431
    assert "larger than 4096 bytes" in body["errors"][0]["message"]  # type: ignore[index]


def test_counts_start_again_for_each_request_of_a_keep_alive_connection(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for _ in range(3):  # 15 headers each: 45 on the connection, 15 per head
            sock.sendall(HEALTH + _headers(14) + b"\r\n")
            sock.settimeout(5)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")


def _trickle(sock: socket.socket, lines: int) -> tuple[int, float]:
    """One header line a second until the server closes; (lines sent, seconds taken)."""
    started = time.monotonic()
    sent = 0
    sock.settimeout(1.0)
    for i in range(lines):
        try:
            sock.sendall(b"x-slow-%d: 1\r\n" % i)
        except OSError:
            break
        sent += 1
        try:
            if sock.recv(1024) == b"":
                break
        except TimeoutError:
            continue
        except OSError:
            break
    return sent, time.monotonic() - started


def test_a_client_trickling_header_lines_is_cut_off(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(HEALTH)
        sent, took = _trickle(sock, 10)
    assert sent < 5, f"the connection lived through {sent} trickled lines"
    assert took < TIMEOUT_S + 2.5


def test_the_next_head_on_a_keep_alive_connection_is_timed_too(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(HEALTH + b"\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.sendall(HEALTH)
        sent, took = _trickle(sock, 10)
    assert sent < 5
    assert took < TIMEOUT_S + 2.5


def test_a_prompt_slow_answer_is_not_cut(port: int) -> None:
    """The clock stops when the head is complete: only the head is timed here."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(HEALTH)
        time.sleep(TIMEOUT_S / 2)
        sock.sendall(b"connection: close\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200")
