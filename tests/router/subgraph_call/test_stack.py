"""The call stack: layers composed from settings over one innermost transport.

A recording transport stands in for the network (the only thing a test swaps);
everything above it is what production runs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest

from router.context import RequestContext, current_request
from router.plugins import Plugin, PluginChain, SubgraphRequestContext, SubgraphResponseContext
from router.plugins.transport import Layer, RawResponse, SubgraphRequest, Transport
from router.settings import RouterSettings
from router.subgraph_call.breaker import BreakerLayer
from router.subgraph_call.concurrency import ConcurrencyLayer
from router.subgraph_call.dedup import DedupLayer
from router.subgraph_call.headers import HeadersLayer
from router.subgraph_call.hooks import HooksLayer
from router.subgraph_call.registry import SubgraphClients
from router.subgraph_call.retry import RetryLayer
from router.subgraph_call.timeout import TimeoutLayer
from router.subgraph_call.transport import Http1Transport, HttpxTransport

OK = RawResponse(200, {}, b'{"data": {"x": 1}}')


class Recorder:
    """The innermost transport: answers from a script, records what it was sent."""

    def __init__(self, *answers: RawResponse, delay: float = 0.0) -> None:
        self.answers = list(answers)
        self.delay = delay
        self.sent: list[tuple[dict[str, Any], dict[str, str]]] = []

    async def send(self, request: SubgraphRequest) -> RawResponse:
        self.sent.append((orjson.loads(request.content), dict(request.headers)))
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    async def aclose(self) -> None:
        return None


def _layers(t: Transport) -> list[type]:
    out: list[type] = []
    while isinstance(t, Layer):
        out.append(type(t))
        t = t.inner
    out.append(type(t))
    return out


def _clients(
    settings: dict[str, Any] | None = None,
    recorder: Recorder | None = None,
    plugins: PluginChain | None = None,
) -> SubgraphClients:
    rec = recorder or Recorder(OK)
    return SubgraphClients(
        RouterSettings.model_validate(settings or {}),
        transport=lambda name, url: rec,
        plugins=plugins,
    )


def test_default_stack_in_call_order() -> None:
    c = _clients().client("a", "http://a/graphql")
    assert _layers(c.transport) == [
        HeadersLayer,
        DedupLayer,
        RetryLayer,
        BreakerLayer,
        TimeoutLayer,
        Recorder,
    ]


def test_a_policy_turned_off_is_not_in_the_stack() -> None:
    settings = {
        "traffic": {
            "all": {
                "dedup": False,
                "breaker": {"enabled": False},
                "retry": {"on_503_with_retry_after": False},
                "max_concurrency": 4,
            }
        }
    }
    c = _clients(settings).client("a", "http://a/graphql")
    assert _layers(c.transport) == [HeadersLayer, TimeoutLayer, ConcurrencyLayer, Recorder]


def test_production_and_tests_differ_in_the_innermost_transport_only() -> None:
    settings = RouterSettings()
    pooled = SubgraphClients(settings).client("a", "http://a/graphql")
    over_httpx = SubgraphClients(settings, http_client=httpx.AsyncClient()).client(
        "a", "http://a/graphql"
    )
    assert _layers(pooled.transport)[:-1] == _layers(over_httpx.transport)[:-1]
    assert _layers(pooled.transport)[-1] is Http1Transport
    assert _layers(over_httpx.transport)[-1] is HttpxTransport


def test_plugin_hooks_sit_under_header_propagation() -> None:
    class Tag(Plugin):
        async def subgraph_request(self, ctx: SubgraphRequestContext) -> None:
            ctx.headers["x-seen"] = ctx.headers.get("x-tenant", "none")
            ctx.body["extensions"] = {"tag": 1}

        async def subgraph_response(self, ctx: SubgraphResponseContext) -> None:
            ctx.body["data"]["tagged"] = True

    rec = Recorder(OK)
    settings = {"traffic": {"headers": {"all": [{"propagate": {"named": "x-tenant"}}]}}}
    clients = _clients(settings, rec, PluginChain([Tag()]))
    client = clients.client("a", "http://a/graphql")
    assert _layers(client.transport)[:2] == [HeadersLayer, HooksLayer]

    async def call() -> dict[str, Any]:
        token = current_request.set(RequestContext({"x-tenant": "t1", "cookie": "secret"}))
        try:
            return await client.request("{ x }", None, "query")
        finally:
            current_request.reset(token)

    assert asyncio.run(call()) == {"data": {"x": 1, "tagged": True}}
    ((body, headers),) = rec.sent
    assert body == {"query": "{ x }", "extensions": {"tag": 1}}
    assert headers == {"x-tenant": "t1", "x-seen": "t1"}


@pytest.mark.parametrize(("kind", "calls"), [("query", 1), ("mutation", 3)])
def test_only_queries_share_a_call_in_flight(kind: str, calls: int) -> None:
    rec = Recorder(OK, delay=0.05)
    client = _clients(recorder=rec).client("a", "http://a/graphql")

    async def three() -> list[dict[str, Any]]:
        return await asyncio.gather(*(client.request("{ x }", None, kind) for _ in range(3)))

    assert asyncio.run(three()) == [{"data": {"x": 1}}] * 3
    assert len(rec.sent) == calls


BUSY = RawResponse(503, {"retry-after": "0"}, b"busy")


@pytest.mark.parametrize(("kind", "calls"), [("query", 2), ("mutation", 1)])
def test_a_503_with_retry_after_is_retried_once_for_queries_only(kind: str, calls: int) -> None:
    rec = Recorder(BUSY, BUSY, OK)
    client = _clients(recorder=rec).client("a", "http://a/graphql")

    async def call() -> RawResponse:
        return await client.transport.send(SubgraphRequest({"query": "{ x }"}, kind))

    assert asyncio.run(call()).status == 503  # retried once only, not until it succeeds
    assert len(rec.sent) == calls


class RetryOnce(Layer):
    """A plugin's own policy: sends a query again once when the answer is a 502."""

    async def send(self, request: SubgraphRequest) -> RawResponse:
        raw = await self.inner.send(request)
        if raw.status == 502 and request.kind == "query":
            raw = await self.inner.send(request)
        return raw


class RetryPlugin(Plugin):
    def __init__(self) -> None:
        super().__init__()
        self.wrapped: list[str] = []

    def subgraph_transport(self, subgraph: str, transport: Transport) -> Transport:
        self.wrapped.append(subgraph)
        return RetryOnce(transport)


def test_a_plugin_wraps_the_transport_once_per_client_between_hooks_and_traffic() -> None:
    class Seen(Plugin):
        async def subgraph_request(self, ctx: SubgraphRequestContext) -> None:
            ctx.headers["x-seen"] = "1"

    retry = RetryPlugin()
    rec = Recorder(RawResponse(502, {}, b"bad gateway"), OK)
    clients = _clients(recorder=rec, plugins=PluginChain([Seen(), retry]))
    client = clients.client("a", "http://a/graphql")
    assert clients.client("a", "http://a/graphql") is client
    assert _layers(client.transport)[:4] == [HeadersLayer, HooksLayer, RetryOnce, DedupLayer]

    async def twice() -> list[dict[str, Any]]:
        return [await client.request("{ x }", None, "query") for _ in range(2)]

    assert asyncio.run(twice()) == [{"data": {"x": 1}}] * 2
    assert retry.wrapped == ["a"]  # composed once, not per request
    assert len(rec.sent) == 3  # the 502 sent again once by the plugin's layer
    assert all(headers == {"x-seen": "1"} for _, headers in rec.sent)


def test_wrappers_nest_in_chain_order_the_first_outermost() -> None:
    class Outer(Layer):
        pass

    class Inner(Layer):
        pass

    class WrapOuter(Plugin):
        def subgraph_transport(self, subgraph: str, transport: Transport) -> Transport:
            return Outer(transport)

    class WrapInner(Plugin):
        def subgraph_transport(self, subgraph: str, transport: Transport) -> Transport:
            return Inner(transport)

    chain = PluginChain([WrapOuter(), Plugin(), WrapInner()])
    assert len(chain.subgraph_transport) == 2  # a plugin that does not wrap is skipped
    client = _clients(plugins=chain).client("a", "http://a/graphql")
    assert _layers(client.transport)[:4] == [HeadersLayer, Outer, Inner, DedupLayer]


def test_header_propagation_and_traffic_policies_are_plugins() -> None:
    clients = _clients()
    for builtin in (clients.headers, clients.traffic):
        assert isinstance(builtin, Plugin) and builtin.uses("subgraph_transport")
        assert not builtin.uses("subgraph_request")  # no per-request hook
    assert clients.policy("a") is clients.traffic.policy("a")
