"""CORS as a plugin: the middleware for HTTP, and the WebSocket upgrade's Origin check.

Real uvicorn (served as `chorus router` serves it), real `websockets` and httpx clients.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers.hardening_harness import SHOP
from tests.helpers.router_server import served

ALLOWED = "https://app.example"
PROTO = [Subprotocol("graphql-transport-ws")]
SDL = SHOP.replace("{PRODUCTS_URL}", "http://127.0.0.1:9/p").replace(
    "{REVIEWS_URL}", "http://127.0.0.1:9/r"
)


def _serve(config: dict[str, Any]) -> Iterator[int]:
    settings = RouterSettings.model_validate(config)
    with served(create_router_app(SDL, settings=settings), settings) as port:
        yield port


@pytest.fixture(scope="module")
def cors_port() -> Iterator[int]:
    yield from _serve(
        {
            "security": {"cors": {"origins": [ALLOWED], "match_origins": [r"https://.*\.ok"]}},
            "plugins": [{"module": "tests.helpers.plugin_layer"}],
        }
    )


@pytest.fixture(scope="module")
def plain_port() -> Iterator[int]:
    yield from _serve({})


def _ack(port: int, origin: str | None) -> dict[str, Any]:
    headers = {"Origin": origin} if origin is not None else None
    with connect(
        f"ws://127.0.0.1:{port}/graphql",
        subprotocols=PROTO,
        additional_headers=headers,
        origin=None,
        open_timeout=5,
    ) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        answer: dict[str, Any] = json.loads(ws.recv(timeout=5))
        return answer


def _refused(port: int, origin: str) -> int:
    with pytest.raises(InvalidStatus) as info:
        _ack(port, origin)
    return info.value.response.status_code


@pytest.mark.parametrize("origin", [None, ALLOWED, "https://any.ok"])
def test_allowed_or_absent_origins_open_a_socket(cors_port: int, origin: str | None) -> None:
    assert _ack(cors_port, origin) == {"type": "connection_ack"}


def test_the_routers_own_origin_opens_a_socket(plain_port: int) -> None:
    assert _ack(plain_port, f"http://127.0.0.1:{plain_port}") == {"type": "connection_ack"}


@pytest.mark.parametrize("origin", ["https://evil.example", "https://app.example.evil", "null"])
def test_other_origins_are_refused_before_the_socket_opens(cors_port: int, origin: str) -> None:
    assert _refused(cors_port, origin) == 403


def test_without_cors_any_foreign_origin_is_refused(plain_port: int) -> None:
    assert _refused(plain_port, ALLOWED) == 403
    assert _ack(plain_port, None) == {"type": "connection_ack"}


def test_http_cors_still_answers_preflights_and_marks_allowed_origins(cors_port: int) -> None:
    url = f"http://127.0.0.1:{cors_port}/graphql"
    with httpx.Client(timeout=5) as client:
        pre = client.options(
            url,
            headers={
                "origin": ALLOWED,
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type",
            },
        )
        post = client.post(url, json={"query": "{ __typename }"}, headers={"origin": ALLOWED})
        evil = client.post(url, json={"query": "{ __typename }"}, headers={"origin": "https://x"})
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == ALLOWED
    assert post.json() == {"data": {"__typename": "Query"}}
    assert post.headers["access-control-allow-origin"] == ALLOWED
    assert "access-control-allow-origin" not in evil.headers


def test_a_plugins_middleware_sees_graphql_requests_too(cors_port: int) -> None:
    """A plugin's middleware wraps every request: /graphql without Origin included."""
    url = f"http://127.0.0.1:{cors_port}/graphql"
    with httpx.Client(timeout=5) as client:
        r = client.post(url, json={"query": "{ __typename }"})
        health = client.get(f"http://127.0.0.1:{cors_port}/health")
    assert r.json() == {"data": {"__typename": "Query"}}
    assert r.headers["x-layer"] == "seen" and health.headers["x-layer"] == "seen"
