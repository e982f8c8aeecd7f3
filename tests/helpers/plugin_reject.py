"""A test plugin (loaded as `tests.helpers.plugin_reject`): rejects at graphql_request."""

from __future__ import annotations

from router.plugins import GraphQLRequestContext, Plugin, Reject


class Rejecting(Plugin):
    """Rejects operations whose variables carry `"reject": true` (at graphql_request)."""

    async def graphql_request(self, ctx: GraphQLRequestContext) -> None:
        if ctx.variables.get("reject") is True:
            raise Reject(403, "no, thank you", "REJECTED_BY_PLUGIN")
