"""A test plugin (loaded as `tests.helpers.plugin_gate`): answers at http_request, marks answers."""

from __future__ import annotations

from router.plugins import GraphQLResponseContext, HttpRequestContext, Plugin, Reject


class Gate(Plugin):
    async def http_request(self, ctx: HttpRequestContext) -> None:
        if ctx.headers.get("x-gate") == "closed":
            raise Reject(418, "gate closed", "GATE", headers={"x-why": "gate"})

    async def graphql_response(self, ctx: GraphQLResponseContext) -> None:
        ctx.body.setdefault("extensions", {})["gate"] = "open"
