"""A test plugin (loaded as `tests.helpers.plugin_trace`): shows the order hooks run in."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from router.plugins import HttpRequestContext, HttpResponseContext, Plugin, SubgraphRequestContext


class TraceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str


class Trace(Plugin):
    """Appends its name to the `x-trace` response header and to every subgraph call's."""

    Config: ClassVar[type[BaseModel]] = TraceConfig

    async def http_operations(self, ctx: HttpRequestContext) -> None:
        seen = ctx.request.data.setdefault("trace", [])
        seen.append(self.config.name)

    async def subgraph_request(self, ctx: SubgraphRequestContext) -> None:
        assert ctx.request is not None
        ctx.headers["x-trace"] = ",".join(ctx.request.data["trace"])

    async def http_response(self, ctx: HttpResponseContext) -> None:
        prev = ctx.headers.get("x-trace")
        ctx.headers["x-trace"] = f"{prev},{self.config.name}" if prev else self.config.name
