"""The `subgraph_request` / `subgraph_response` plugin hooks as a layer of the stack.

It sits under header propagation (the hooks see and may change the propagated
headers) and over dedup and the traffic policies, so a hook runs once per call
of the executor, whatever retries or sharing happen below it. A `Reject` from a
request hook answers instead of the subgraph. The response hooks get the
decoded answer; what they leave is what the executor gets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson

from router.context import current_request
from router.plugins import Reject, SubgraphRequestContext, SubgraphResponseContext
from router.plugins.transport import Layer, RawResponse, SubgraphRequest, Transport
from router.subgraph_call.decode import decode

__all__ = ["HooksLayer"]

RequestHook = Callable[[SubgraphRequestContext], Awaitable[None]]
ResponseHook = Callable[[SubgraphResponseContext], Awaitable[None]]


class HooksLayer(Layer):
    __slots__ = ("on_request", "on_response", "subgraph", "url")

    def __init__(
        self,
        inner: Transport,
        subgraph: str,
        url: str,
        on_request: tuple[RequestHook, ...],
        on_response: tuple[ResponseHook, ...],
    ) -> None:
        super().__init__(inner)
        self.subgraph = subgraph
        self.url = url
        self.on_request = on_request
        self.on_response = on_response

    async def send(self, request: SubgraphRequest) -> RawResponse:
        client = current_request.get()
        ctx = SubgraphRequestContext(self.subgraph, self.url, request.headers, request.body, client)
        try:
            for hook in self.on_request:
                await hook(ctx)
        except Reject as r:
            raw = RawResponse(r.status, r.headers, orjson.dumps(r.body))
        else:
            request.headers = ctx.headers
            request.replace_body(ctx.body)
            raw = await self.inner.send(request)
        if not self.on_response:
            return raw
        rctx = SubgraphResponseContext(
            self.subgraph,
            self.url,
            raw.status,
            dict(raw.headers),
            decode(self.subgraph, raw),
            client,
        )
        for rhook in self.on_response:
            await rhook(rctx)
        return RawResponse(raw.status, raw.headers, raw.content, rctx.body)
