"""A test plugin (loaded as `tests.helpers.plugin_probe`): what the subgraph calls of a request
see of it, and a delay per call.

`http_request` keeps the client's `x-probe` header in the request's `data`; every
`subgraph_request` records (subgraph, that value, the `x-probe` header sent to the
subgraph) in `SEEN`, then sleeps `x-delay` seconds (a client header), outside the
subgraph call's own timeout.
"""

from __future__ import annotations

import asyncio

from router.plugins import HttpRequestContext, Plugin, SubgraphRequestContext

SEEN: list[tuple[str, str | None, str | None]] = []


class Probe(Plugin):
    async def http_request(self, ctx: HttpRequestContext) -> None:
        ctx.request.data["probe"] = ctx.headers.get("x-probe")

    async def subgraph_request(self, ctx: SubgraphRequestContext) -> None:
        request = ctx.request
        probe = request.data.get("probe") if request is not None else None
        SEEN.append((ctx.service_name, probe, ctx.headers.get("x-probe")))
        delay = float(request.headers.get("x-delay", "0")) if request is not None else 0.0
        if delay:
            await asyncio.sleep(delay)
