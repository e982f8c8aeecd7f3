"""Example plugin: send a claim of the client's JWT to subgraphs as a header.

The router verifies the token (`auth.jwt` in router.yaml) and puts its claims
on the request; this plugin copies one claim into a header of every subgraph
call (or of the subgraphs listed), so a subgraph learns who is asking without
parsing tokens itself::

    auth:
      jwt:
        jwks: [{file: jwks.json, issuers: [https://idp.example]}]
    plugins:
      - module: router.plugins.examples.claim_header
        config: {claim: sub, header: x-user-id}          # subgraphs: [reviews]

`claim` may be a dotted path into nested claims (`org.id`). An anonymous
request, or a token without the claim, sends no header. The hook sees the
request context only where the subgraph call is made within the HTTP request
(JSON answers), not for WebSocket subscriptions.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from router.plugins import Plugin, SubgraphRequestContext

__all__ = ["ClaimHeader", "ClaimHeaderConfig"]


class ClaimHeaderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    claim: str = Field(min_length=1, description="The claim to send (`sub`, or `org.id`).")
    header: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$", description="The header it is sent as."
    )
    subgraphs: tuple[str, ...] = Field(
        default=(), description="Only to these subgraphs (default: every subgraph)."
    )


class ClaimHeader(Plugin):
    Config: ClassVar[type[BaseModel]] = ClaimHeaderConfig

    def __init__(self, config: ClaimHeaderConfig) -> None:
        super().__init__(config)
        self.path = config.claim.split(".")
        self.header = config.header.lower()
        self.subgraphs = frozenset(config.subgraphs)

    async def subgraph_request(self, ctx: SubgraphRequestContext) -> None:
        if self.subgraphs and ctx.service_name not in self.subgraphs:
            return
        claims = ctx.request.claims if ctx.request is not None else None
        value: Any = claims
        for key in self.path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            ctx.headers[self.header] = str(value)
