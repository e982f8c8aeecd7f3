"""Subscriptions end to end: real uvicorn servers (router, chat and users subgraphs).

Clients reach the router over graphql-transport-ws (the `websockets` client
speaking the protocol by hand, and GraphiQL's own graphql-ws client under
Node when Node is installed) and over SSE; the router reaches the chat
subgraph over graphql-transport-ws and users over HTTP for every event.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from router.http.graphiql import asset_dir
from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers import stream_subgraphs as sub
from tests.helpers.supergraph_fixture import load_fixture

PORTS = (5371, 5372, 5373)
PROTO = [Subprotocol("graphql-transport-ws")]

MESSAGES = 'subscription { messages(room: "r", count: 3) { id text shout author { name } } }'


class Stack:
    def __init__(self, url: str, app: Starlette) -> None:
        self.url = url
        self.ws_url = url.replace("http://", "ws://")
        self.app = app


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[Stack]:
    apps: list[Starlette] = []

    def factory(sdl: str) -> Starlette:
        app = create_router_app(sdl, settings=RouterSettings(dev=True))
        apps.append(app)
        return app

    async with sub.stack(factory, PORTS) as url:
        yield Stack(url, apps[0])


@pytest.fixture(autouse=True)
def _reset(stack: Stack) -> None:
    sub.STREAMS.clear()
    for attr in ("ws_on_connect", "ws_init_timeout_s"):
        if hasattr(stack.app.state, attr):
            delattr(stack.app.state, attr)


async def _send(ws: ClientConnection, msg: dict[str, Any]) -> None:
    await ws.send(json.dumps(msg))


async def _recv(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    msg: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout))
    return msg


async def _init(ws: ClientConnection) -> None:
    await _send(ws, {"type": "connection_init", "payload": {}})
    assert await _recv(ws) == {"type": "connection_ack"}


async def _until_done(ws: ClientConnection, op_id: str) -> list[dict[str, Any]]:
    out = []
    while True:
        msg = await _recv(ws)
        assert msg.get("id") == op_id, msg
        out.append(msg)
        if msg["type"] in ("complete", "error"):
            return out


async def _closed_with(ws: ClientConnection) -> tuple[int | None, str | None]:
    with pytest.raises(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    assert ws.close_code is not None
    return ws.close_code, ws.close_reason


async def _wait_for(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


# ------------------------------------------------------------------ WebSocket
async def test_subscription_events_join_other_subgraphs(stack: Stack) -> None:
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        await _init(ws)
        await _send(ws, {"id": "s1", "type": "subscribe", "payload": {"query": MESSAGES}})
        msgs = await _until_done(ws, "s1")
    assert [m["type"] for m in msgs] == ["next", "next", "next", "complete"]
    events = [m["payload"]["data"]["messages"] for m in msgs[:3]]
    assert events == [
        {"id": f"r-{i}", "text": f"message {i} in r", "shout": f"MESSAGE {i} IN R", "author": a}
        for i, a in enumerate([{"name": "Ada"}, {"name": "Grace"}, {"name": "Ada"}])
    ]
    assert all("errors" not in m["payload"] for m in msgs[:3])


async def test_queries_and_deferred_queries_over_websocket(stack: Stack) -> None:
    deferred = '{ message(id: "x-1") { id ... @defer(label: "a") { author { name } } } }'
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        await _init(ws)
        await _send(
            ws,
            {
                "id": "q",
                "type": "subscribe",
                "payload": {
                    "query": "query Q($id: ID!) { user(id: $id) { name } }",
                    "variables": {"id": "u2"},
                    "operationName": "Q",
                },
            },
        )
        q = await _until_done(ws, "q")
        await _send(ws, {"id": "d", "type": "subscribe", "payload": {"query": deferred}})
        d = await _until_done(ws, "d")
    assert q == [
        {"id": "q", "type": "next", "payload": {"data": {"user": {"name": "Grace"}}}},
        {"id": "q", "type": "complete"},
    ]
    assert [m["type"] for m in d] == ["next", "next", "complete"]
    assert d[0]["payload"] == {"data": {"message": {"id": "x-1"}}, "hasNext": True}
    assert d[1]["payload"] == {
        "hasNext": False,
        "incremental": [{"data": {"author": {"name": "Grace"}}, "path": ["message"], "label": "a"}],
    }


async def test_request_errors_are_error_messages(stack: Stack) -> None:
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        await _init(ws)
        await _send(
            ws, {"id": "e", "type": "subscribe", "payload": {"query": "subscription { nope }"}}
        )
        (msg,) = await _until_done(ws, "e")
        # the connection stays usable
        await _send(ws, {"id": "ok", "type": "subscribe", "payload": {"query": MESSAGES}})
        ok = await _until_done(ws, "ok")
    assert msg["type"] == "error"
    assert msg["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert ok[-1]["type"] == "complete" and len(ok) == 4


async def test_subgraph_stream_error_becomes_next_with_errors(stack: Stack) -> None:
    query = "subscription { failing(after: 1) { id author { name } } }"
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        await _init(ws)
        await _send(ws, {"id": "f", "type": "subscribe", "payload": {"query": query}})
        msgs = await _until_done(ws, "f")
    assert msgs[0]["payload"] == {"data": {"failing": {"id": "lobby-0", "author": {"name": "Ada"}}}}
    assert msgs[-1]["type"] == "complete"
    errors = [e for m in msgs[1:-1] for e in m["payload"].get("errors", [])]
    assert any("the chat stream broke" in e["message"] for e in errors), msgs
    assert all(e["extensions"]["serviceName"] == "chat" for e in errors)


async def test_client_complete_cancels_the_subgraph_stream(stack: Stack) -> None:
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        await _init(ws)
        query = "subscription { endless { id author { name } } }"
        await _send(ws, {"id": "e", "type": "subscribe", "payload": {"query": query}})
        first = await _recv(ws)
        second = await _recv(ws)
        assert first["payload"]["data"]["endless"] == {"id": "endless-0", "author": {"name": "Ada"}}
        assert second["payload"]["data"]["endless"]["id"] == "endless-1"
        await _send(ws, {"id": "e", "type": "complete"})
        await _wait_for(lambda: ("closed", "endless") in sub.STREAMS)
        # the id is free again and the connection still serves
        await _send(ws, {"id": "e", "type": "subscribe", "payload": {"query": MESSAGES}})
        while (await _recv(ws))["type"] != "complete":
            pass


async def test_client_disconnect_cancels_the_subgraph_stream(stack: Stack) -> None:
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        await _init(ws)
        query = "subscription { endless { id } }"
        await _send(ws, {"id": "e", "type": "subscribe", "payload": {"query": query}})
        await _recv(ws)
    await _wait_for(lambda: ("closed", "endless") in sub.STREAMS)
    assert sub.STREAMS.count(("open", "endless")) == 1


async def test_ping_pong(stack: Stack) -> None:
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        await _send(ws, {"type": "ping", "payload": {"t": 1}})
        assert await _recv(ws) == {"type": "pong", "payload": {"t": 1}}
        await _init(ws)
        await _send(ws, {"type": "ping"})
        assert await _recv(ws) == {"type": "pong"}
        await _send(ws, {"type": "pong"})  # unsolicited pongs are fine
        await _send(ws, {"id": "s", "type": "subscribe", "payload": {"query": MESSAGES}})
        assert (await _until_done(ws, "s"))[-1]["type"] == "complete"


@pytest.mark.parametrize(
    ("messages", "code"),
    [
        (["not json"], 4400),
        ([{"type": "unknown"}], 4400),
        ([{"type": "connection_init"}, {"type": "subscribe", "id": "x"}], 4400),
        ([{"id": "s", "type": "subscribe", "payload": {"query": "{ __typename }"}}], 4401),
        ([{"type": "connection_init"}, {"type": "connection_init"}], 4429),
    ],
)
async def test_protocol_violations_close_the_socket(
    stack: Stack, messages: list[Any], code: int
) -> None:
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        for m in messages:
            await ws.send(m if isinstance(m, str) else json.dumps(m))
        got, _ = await _closed_with(ws)
    assert got == code


async def test_duplicate_subscription_id_closes_with_4409(stack: Stack) -> None:
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        await _init(ws)
        sub_msg = {
            "id": "dup",
            "type": "subscribe",
            "payload": {"query": "subscription { endless { id } }"},
        }
        await _send(ws, sub_msg)
        await _recv(ws)
        await _send(ws, sub_msg)
        code, reason = await _closed_with(ws)
    assert code == 4409 and reason == "Subscriber for dup already exists"
    await _wait_for(lambda: ("closed", "endless") in sub.STREAMS)


async def test_refused_connection_closes_with_4403(stack: Stack) -> None:
    stack.app.state.ws_on_connect = lambda ws, payload: payload.get("token") == "secret"
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        await _send(ws, {"type": "connection_init", "payload": {"token": "wrong"}})
        assert (await _closed_with(ws))[0] == 4403
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        await _send(ws, {"type": "connection_init", "payload": {"token": "secret"}})
        assert await _recv(ws) == {"type": "connection_ack"}


async def test_missing_init_closes_with_4408(stack: Stack) -> None:
    stack.app.state.ws_init_timeout_s = 0.2
    async with connect(stack.ws_url, subprotocols=PROTO) as ws:
        assert (await _closed_with(ws))[0] == 4408


async def test_other_subprotocol_closes_with_4406(stack: Stack) -> None:
    async with connect(stack.ws_url, subprotocols=[Subprotocol("graphql-ws")]) as ws:
        assert (await _closed_with(ws))[0] == 4406


def _node_with_websocket() -> list[str] | None:
    """The node command line that has a global WebSocket (Node 22, or 20 with a flag)."""
    node = shutil.which("node")
    if node is None:
        return None
    for flags in ([], ["--experimental-websocket"]):
        probe = subprocess.run(
            [node, *flags, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return [node, *flags]
    return None


NODE = _node_with_websocket()


@pytest.mark.skipif(NODE is None, reason="needs node with a WebSocket global")
async def test_graphiql_graphql_ws_client_runs_a_subscription(stack: Stack) -> None:
    """GraphiQL's bundled graphql-ws client (the UMD file we serve) against the router."""
    assert NODE is not None
    proc = await asyncio.create_subprocess_exec(
        *NODE,
        str(Path(__file__).parent / "graphiql_ws_client.cjs"),
        str(asset_dir() / "graphql-ws.min.js"),
        stack.ws_url,
        'subscription { messages(room: "g", count: 2) { id author { name } } }',
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, (out, err)
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result == {
        "events": [
            {"data": {"messages": {"id": "g-0", "author": {"name": "Ada"}}}},
            {"data": {"messages": {"id": "g-1", "author": {"name": "Grace"}}}},
        ]
    }


# ------------------------------------------------------------------------ SSE
def _sse_events(text: str) -> list[tuple[str, str]]:
    events = []
    for block in text.split("\n\n"):
        lines = [ln for ln in block.split("\n") if ln and not ln.startswith(":")]
        if not lines:
            continue
        fields = dict(ln.split(": ", 1) if ": " in ln else (ln.rstrip(":"), "") for ln in lines)
        events.append((fields.get("event", ""), fields.get("data", "")))
    return events


async def test_subscription_over_sse(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(
            stack.url,
            json={"query": MESSAGES},
            headers={"accept": "text/event-stream", "chorus-expose-query-plan": "true"},
        )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    events = _sse_events(resp.text)
    assert [e for e, _ in events] == ["next", "next", "next", "complete"]
    payloads = [json.loads(d) for _, d in events[:3]]
    assert [p["data"]["messages"]["author"]["name"] for p in payloads] == ["Ada", "Grace", "Ada"]
    plan = payloads[0]["extensions"]["queryPlan"]["node"]
    assert plan["kind"] == "Subscription"
    assert plan["primary"]["serviceName"] == "chat"
    assert plan["primary"]["operationKind"] == "subscription"
    assert plan["rest"]["kind"] == "Flatten" or plan["rest"]["kind"] in ("Parallel", "Sequence")
    assert "extensions" not in payloads[1]


async def test_query_over_sse_is_one_event(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(
            stack.url,
            json={"query": '{ user(id: "u1") { name } }'},
            headers={"accept": "text/event-stream"},
        )
    events = _sse_events(resp.text)
    assert events[0] == (
        "next",
        json.dumps({"data": {"user": {"name": "Ada"}}}, separators=(",", ":")),
    )
    assert events[1][0] == "complete" and len(events) == 2


async def test_sse_disconnect_cancels_the_subgraph_stream(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        async with client.stream(
            "POST",
            stack.url,
            json={"query": "subscription { endless { id } }"},
            headers={"accept": "text/event-stream"},
        ) as resp:
            seen = 0
            async for line in resp.aiter_lines():
                if line.startswith("data: {"):
                    seen += 1
                    if seen == 2:
                        break
    await _wait_for(lambda: ("closed", "endless") in sub.STREAMS)


async def test_subscription_over_plain_json_is_refused(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(stack.url, json={"query": MESSAGES})
    assert resp.status_code == 405
    assert "text/event-stream" in resp.json()["errors"][0]["message"]


async def test_apollo_multipart_subscription(stack: Stack) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(
            stack.url,
            json={"query": MESSAGES},
            headers={"accept": "multipart/mixed;subscriptionSpec=1.0, application/json"},
        )
    assert "subscriptionSpec=1.0" in resp.headers["content-type"]
    parts = [p for p in resp.text.split("\r\n--graphql") if p.strip() not in ("", "--")]
    bodies = [json.loads(p.split("\r\n\r\n", 1)[1]) for p in parts]
    bodies = [b for b in bodies if b]  # heartbeats are {}
    assert [b["payload"]["data"]["messages"]["id"] for b in bodies] == ["r-0", "r-1", "r-2"]


async def test_deferred_part_arrives_later_over_multipart(stack: Stack) -> None:
    """The initial part does not wait for the slow deferred field (users' `bio`)."""
    query = '{ message(id: "lobby-1") { id text ... @defer { author { name bio } } } }'
    arrivals: list[tuple[float, bytes]] = []
    async with httpx.AsyncClient(timeout=10) as client:
        start = time.monotonic()
        async with client.stream(
            "POST",
            stack.url,
            json={"query": query},
            headers={"accept": "multipart/mixed;deferSpec=20220824"},
        ) as resp:
            async for chunk in resp.aiter_raw():
                arrivals.append((time.monotonic() - start, chunk))
    first = next(t for t, c in arrivals if b'"hasNext":true' in c)
    last = next(t for t, c in arrivals if b"incremental" in c)
    assert first < sub.BIO_DELAY_S <= last + 0.05
    assert b'"bio":"Grace writes code"' in b"".join(c for _, c in arrivals)


async def test_unreachable_subscription_subgraph() -> None:
    sdl = sub.supergraph("http://127.0.0.1:5399/graphql", "http://127.0.0.1:5399/graphql")
    app = create_router_app(sdl, settings=RouterSettings(dev=True))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://router", timeout=10
    ) as client:
        resp = await client.post(
            "/graphql", json={"query": MESSAGES}, headers={"accept": "text/event-stream"}
        )
    events = _sse_events(resp.text)
    assert [e for e, _ in events] == ["next", "complete"]
    body = json.loads(events[0][1])
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "SUBGRAPH_FETCH_FAILED"
    assert body["errors"][0]["extensions"]["serviceName"] == "chat"


def test_mutation_over_websocket_in_process() -> None:
    """A mutation is an operation like any other on the socket (Starlette's test client)."""
    from starlette.testclient import TestClient

    from tests.helpers import pipeline_subgraphs as pipeline_subgraphs

    pipeline_subgraphs.reset()
    sdl = load_fixture("pipeline.graphql")
    sub_http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=pipeline_subgraphs.subgraphs_app([])),
        base_url="http://subgraphs",
    )
    app = create_router_app(sdl, settings=RouterSettings(dev=True), http_client=sub_http)
    query = 'mutation { say(text: "book it") { id action reply } }'
    with (
        TestClient(app) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        ws.send_json({"type": "connection_init"})
        assert ws.receive_json() == {"type": "connection_ack"}
        ws.send_json({"id": "m", "type": "subscribe", "payload": {"query": query}})
        first = ws.receive_json()
        assert ws.receive_json() == {"id": "m", "type": "complete"}
    assert first == {
        "id": "m",
        "type": "next",
        "payload": {
            "data": {"say": {"id": "t2", "action": "act_book", "reply": "reply to act_book"}}
        },
    }
    assert set(pipeline_subgraphs.TURNS) == {"t1", "t2"}
