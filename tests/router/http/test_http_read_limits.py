"""The HTTP stage's limits on reading a request: body read time (408) and variables size (413).

Served as `chorus router` serves it, reached over raw sockets (a body can be trickled)
and httpx.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest

from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers.hardening_harness import SHOP
from tests.helpers.router_server import read_response, served

BODY_TIMEOUT_S = 1.0
MAX_VARIABLES = 1000
SETTINGS = RouterSettings.model_validate(
    {
        "limits": {
            "http_body_read_timeout_s": BODY_TIMEOUT_S,
            "http_max_variables_bytes": MAX_VARIABLES,
        }
    }
)
QUERY = "query($id: ID!) { product(id: $id) { id } }"
#: a GET must show it was preflighted (CSRF prevention is on in production mode)
PREFLIGHT = {"apollo-require-preflight": "true"}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    sdl = SHOP.replace("{PRODUCTS_URL}", "http://127.0.0.1:9/p").replace(
        "{REVIEWS_URL}", "http://127.0.0.1:9/r"
    )
    with served(create_router_app(sdl, settings=SETTINGS), SETTINGS) as port:
        yield f"http://127.0.0.1:{port}/graphql"


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def test_a_trickled_body_gets_408_and_the_connection_closes(url: str) -> None:
    body = json.dumps({"query": QUERY, "variables": {"id": "1"}}).encode()
    head = (
        b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % len(body)
    )
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", _port(url)), timeout=5) as sock:
        sock.sendall(head + body[:5])
        sock.settimeout(0.5)
        got = b""
        for i in range(5, len(body)):  # one byte every half second, never finishing in time
            try:
                sock.sendall(body[i : i + 1])
                got = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if got:
                break
        got += read_response(sock)
    took = time.monotonic() - started
    head_out, _, payload = got.partition(b"\r\n\r\n")
    assert head_out.startswith(b"HTTP/1.1 408"), got
    assert b"connection: close" in head_out.lower()
    assert json.loads(payload)["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
    assert took < BODY_TIMEOUT_S + 2


def test_a_body_in_several_prompt_reads_is_read(url: str) -> None:
    body = json.dumps({"query": "{ __typename }"}).encode()
    head = (
        b"POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        b"connection: close\r\ncontent-length: %d\r\n\r\n" % len(body)
    )
    with socket.create_connection(("127.0.0.1", _port(url)), timeout=5) as sock:
        sock.sendall(head + body[:4])
        time.sleep(0.2)
        sock.sendall(body[4:])
        got = read_response(sock)
    assert got.startswith(b"HTTP/1.1 200"), got
    assert json.loads(got.partition(b"\r\n\r\n")[2]) == {"data": {"__typename": "Query"}}


def _too_large(response: httpx.Response) -> None:
    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert f"'variables' is larger than {MAX_VARIABLES} bytes" in error["message"]


def test_variables_over_the_cap_get_413(url: str) -> None:
    big = {"id": "x" * (MAX_VARIABLES + 10)}
    with httpx.Client(timeout=5) as client:
        _too_large(client.post(url, json={"query": QUERY, "variables": big}))
        _too_large(
            client.get(
                url, params={"query": QUERY, "variables": json.dumps(big)}, headers=PREFLIGHT
            )
        )
        batch = [{"query": QUERY, "variables": {"id": "1"}}, {"query": QUERY, "variables": big}]
        _too_large(client.post(url, json=batch))


def test_a_large_body_with_small_variables_is_let_through(url: str) -> None:
    """The cap is on `variables`: a long query text with small variables is not refused."""
    padding = " " * (MAX_VARIABLES * 2)
    with httpx.Client(timeout=5) as client:
        r = client.post(url, json={"query": "{ __typename }" + padding, "variables": {"a": 1}})
        g = client.get(
            url + "?query=" + quote("{ __typename }") + "&variables=" + quote("{}"),
            headers=PREFLIGHT,
        )
    assert r.status_code == 200 and r.json() == {"data": {"__typename": "Query"}}
    assert g.status_code == 200
