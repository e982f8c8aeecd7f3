"""Subscribe to one subgraph over graphql-transport-ws (one WebSocket per subscription).

`subscribe(...)` is an async iterator of the subgraph's `next` payloads.
Closing it (the client went away, or asked to stop) sends `complete` and closes
the socket, so the subgraph stops its stream too. A subgraph `error` message
or a broken connection raises a `SubgraphError` carrying GraphQL errors.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.typing import Subprotocol

from router.errors import ErrorCode, SubgraphError, SubgraphTimeout, SubgraphUnreachable

__all__ = ["SubgraphStreamError", "subscribe", "ws_url"]

PROTOCOL = Subprotocol("graphql-transport-ws")


class SubgraphStreamError(SubgraphError):
    """The subgraph refused the operation (`error` message) or broke the protocol."""

    code = ErrorCode.SUBGRAPH_FETCH_FAILED

    def __init__(self, service: str, message: str, errors: list[Any] | None = None) -> None:
        super().__init__(service, message)
        self.errors = errors or []


def ws_url(url: str) -> str:
    """The WebSocket URL of a subgraph's HTTP endpoint (same host, port and path)."""
    if url.startswith("https://"):
        return "wss://" + url[len("https://") :]
    if url.startswith("http://"):
        return "ws://" + url[len("http://") :]
    return url


async def _recv(ws: ClientConnection, service: str) -> dict[str, Any]:
    raw = await ws.recv()
    try:
        msg = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise SubgraphStreamError(service, "sent a message that is not JSON") from exc
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise SubgraphStreamError(service, "sent a message without a type")
    return msg


async def _send(ws: ClientConnection, msg: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(msg).decode())


def _pong(ping: dict[str, Any]) -> dict[str, Any]:
    pong: dict[str, Any] = {"type": "pong"}
    if isinstance(ping.get("payload"), dict):
        pong["payload"] = ping["payload"]
    return pong


async def _handshake(ws: ClientConnection, service: str, init_payload: dict[str, Any]) -> None:
    await _send(ws, {"type": "connection_init", "payload": init_payload})
    while True:
        msg = await _recv(ws, service)
        if msg["type"] == "connection_ack":
            return
        if msg["type"] == "ping":
            await _send(ws, _pong(msg))
        elif msg["type"] != "pong":
            raise SubgraphStreamError(service, f"sent {msg['type']!r} before connection_ack")


async def subscribe(
    service: str,
    url: str,
    query: str,
    variables: dict[str, Any] | None,
    *,
    connect_timeout_s: float = 10.0,
    init_payload: dict[str, Any] | None = None,
) -> AsyncGenerator[dict[str, Any], None]:
    """Yield the `payload` of every `next` message of one subscription."""
    try:
        async with asyncio.timeout(connect_timeout_s):
            ws = await connect(ws_url(url), subprotocols=[PROTOCOL], proxy=None, open_timeout=None)
    except TimeoutError as exc:
        raise SubgraphTimeout(service, "WebSocket connection timed out") from exc
    except (OSError, InvalidHandshake, InvalidURI) as exc:
        raise SubgraphUnreachable(service, f"WebSocket connection failed: {exc!r}") from exc
    completed = False
    try:
        try:
            async with asyncio.timeout(connect_timeout_s):
                await _handshake(ws, service, init_payload or {})
        except TimeoutError as exc:
            raise SubgraphTimeout(service, "no connection_ack") from exc
        payload: dict[str, Any] = {"query": query}
        if variables:
            payload["variables"] = variables
        await _send(ws, {"id": "1", "type": "subscribe", "payload": payload})
        while True:
            msg = await _recv(ws, service)
            kind = msg["type"]
            if kind == "next" and msg.get("id") == "1":
                body = msg.get("payload")
                if isinstance(body, dict):
                    yield body
            elif kind == "error" and msg.get("id") == "1":
                completed = True
                errors = msg.get("payload")
                raise SubgraphStreamError(
                    service,
                    "refused the subscription",
                    errors if isinstance(errors, list) else [errors],
                )
            elif kind == "complete" and msg.get("id") == "1":
                completed = True
                return
            elif kind == "ping":
                await _send(ws, _pong(msg))
    except ConnectionClosed as exc:
        completed = True
        raise SubgraphUnreachable(service, f"WebSocket closed: {exc}") from exc
    finally:
        # Cancelled or closed by the consumer: tell the subgraph, then hang up.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2.0):
                if not completed:
                    await _send(ws, {"id": "1", "type": "complete"})
                await ws.close()
