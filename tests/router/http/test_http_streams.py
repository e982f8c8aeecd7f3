"""SSE and multipart answers get what JSON answers get: the request context at every
subgraph call, the router deadline, and subgraph error redaction (production mode).

Real uvicorn servers: the chat and users subgraphs (`stream_subgraphs`), and routers in
production mode with the probe plugin (`tests.helpers.plugin_probe`).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers import plugin_probe
from tests.helpers import stream_subgraphs as sub
from tests.helpers.multipart import parse_multipart

PORTS = (5386, 5387, 5388, 5389)
ROUTER_TIMEOUT_S = 0.6
SETTINGS = RouterSettings.model_validate(
    {
        "subgraph_timeout_s": 0.5,
        "traffic": {
            "router_timeout_s": ROUTER_TIMEOUT_S,
            "headers": {"all": [{"propagate": {"named": "x-probe"}}]},
        },
        "plugins": [{"module": "tests.helpers.plugin_probe"}],
    }
)
JOIN = '{ message(id: "r-1") { id author { name } } }'
DEFERRED = '{ message(id: "r-1") { id ... @defer { author { name } } } }'
SSE = {"accept": "text/event-stream"}
MULTIPART = {"accept": "multipart/mixed;deferSpec=20220824"}


class Routers:
    def __init__(self, up: str, users_down: str) -> None:
        self.up = up
        self.users_down = users_down


@pytest.fixture(scope="module")
async def routers() -> AsyncIterator[Routers]:
    chat = await sub.serve(sub.subgraph_app(sub.chat_schema), PORTS[0])
    users = await sub.serve(sub.subgraph_app(sub.users_schema), PORTS[1])
    up = create_router_app(sub.supergraph(chat.url, users.url), settings=SETTINGS)
    down = create_router_app(
        sub.supergraph(chat.url, "http://127.0.0.1:9/graphql"), settings=SETTINGS
    )
    served = [await sub.serve(up, PORTS[2]), await sub.serve(down, PORTS[3])]
    try:
        yield Routers(served[0].url, served[1].url)
    finally:
        for s in (*served, users, chat):
            await sub.stop(s)


@pytest.fixture(autouse=True)
def _clear() -> None:
    plugin_probe.SEEN.clear()


def _sse_payloads(text: str) -> list[dict[str, Any]]:
    """The `next` payloads of an SSE answer, which must end with `complete`."""
    events = [e for e in text.split("\n\n") if e.strip() and not e.startswith(":")]
    assert events[-1].startswith("event: complete"), text
    out = []
    for event in events[:-1]:
        kind, data = event.split("\n", 1)
        assert kind == "event: next", event
        out.append(json.loads(data.removeprefix("data: ")))
    return out


async def _post(url: str, query: str, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, json={"query": query}, headers=headers)


async def test_sse_and_multipart_keep_the_request_context(routers: Routers) -> None:
    sse = await _post(routers.up, JOIN, {**SSE, "x-probe": "over-sse"})
    assert _sse_payloads(sse.text) == [
        {"data": {"message": {"id": "r-1", "author": {"name": "Grace"}}}}
    ]
    multipart = await _post(routers.up, DEFERRED, {**MULTIPART, "x-probe": "over-multipart"})
    assert [p["hasNext"] for p in parse_multipart(multipart)] == [True, False]
    seen = plugin_probe.SEEN
    # the plugins' request data and the propagated header reach every subgraph call
    for probe in ("over-sse", "over-multipart"):
        calls = [(name, data, header) for name, data, header in seen if data == probe]
        assert {name for name, _, _ in calls} == {"chat", "users"}
        assert all(header == probe for _, _, header in calls)
    assert all(data is not None for _, data, _ in seen), seen


async def test_a_streamed_answer_keeps_the_router_deadline(routers: Routers) -> None:
    slow = {"x-delay": "0.35"}  # chat then users: 0.7 s, past the 0.6 s deadline
    started = time.monotonic()
    sse = await _post(routers.up, JOIN, {**SSE, **slow})
    [payload] = _sse_payloads(sse.text)
    assert payload["data"] is None
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["GATEWAY_TIMEOUT"]
    multipart = parse_multipart(await _post(routers.up, DEFERRED, {**MULTIPART, **slow}))
    took = time.monotonic() - started
    # the initial part made it in time; the deferred one did not
    assert multipart[0] == {"data": {"message": {"id": "r-1"}}, "hasNext": True}
    assert multipart[-1]["hasNext"] is False
    assert [e["extensions"]["code"] for e in multipart[-1]["errors"]] == ["GATEWAY_TIMEOUT"]
    assert took < 2 * ROUTER_TIMEOUT_S + 1.0


def _redacted(errors: list[dict[str, Any]]) -> None:
    assert errors
    for e in errors:
        assert e["message"] == "Subgraph errors redacted", e
        assert e["extensions"]["serviceName"] == "users"
        assert len(e["extensions"]["traceId"]) == 32


async def test_streamed_subgraph_errors_are_redacted(routers: Routers) -> None:
    sse = await _post(routers.users_down, JOIN, SSE)
    [payload] = _sse_payloads(sse.text)
    _redacted(payload["errors"])
    parts = parse_multipart(await _post(routers.users_down, DEFERRED, MULTIPART))
    _redacted([e for p in parts[1:] for i in p.get("incremental", []) for e in i["errors"]])
    events = await _post(
        routers.users_down,
        'subscription { messages(room: "r", count: 1) { id author { name } } }',
        SSE,
    )
    _redacted(_sse_payloads(events.text)[0]["errors"])
    for text in (sse.text, events.text):
        assert "127.0.0.1:9" not in text  # the transport's own message stays in the log
