"""`Plugin`: the hooks a plugin may override, and `Reject`, how a hook refuses a request.

| stage (package)   | hook                  | when                                              |
| ----------------- | --------------------- | ------------------------------------------------- |
| 1. http           | `http_request`        | headers read, body not yet (CSRF)                 |
|                   | `http_operations`     | body parsed into operations (auth, rate limit, APQ) |
|                   | `http_response`       | a JSON answer, before it is sent                  |
| 2. request        | `graphql_service`     | once per router: wrap the service (JSON answers)  |
|                   | `graphql_request`     | one operation parsed and validated, before planning |
|                   | `graphql_response`    | one operation's JSON answer                       |
| 3. execution      | `execution_request`   | the plan is made, nothing fetched yet             |
|                   | `execution_response`  | each payload (redaction, plan exposure)           |
| 4. subgraph_call  | `subgraph_transport`  | once per subgraph client: wrap its transport      |
|                   | `subgraph_request`    | headers and body, before the policy and transport |
|                   | `subgraph_response`   | the decoded answer                                |

A hook the subclass does not override is never called: the chain keeps, per
hook, only the plugins that override it (`PluginChain`).

What a request/response pair cannot do (hold something open across the call,
call again, answer without calling) a plugin does by wrapping the subgraph
stage's transport, Apollo's `subgraph_service(name, service)`:
`subgraph_transport(subgraph, transport)` is called once per subgraph client
when its stack is composed (never per request) and returns the transport to
use, usually a `Layer` over the one it was given. The built-in header
propagation and traffic policies (dedup, retry, breaker, timeout, cap) are
plugins of that kind (`router/subgraph_call/`). One level up,
`graphql_service(service)` wraps the request stage once per router (the
built-in request span and metrics, `router/request/request_telemetry.py`).

Besides the hooks, a plugin may put ASGI middleware around the whole app
(`middleware`, Apollo's router_service layer): for what must answer requests no
stage sees, such as CORS preflights. `wraps(scope)` says which requests need it;
GraphQL POST/GET requests no plugin's middleware wants skip Starlette's stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from starlette.middleware import Middleware
from starlette.types import Scope

from router.errors import graphql_error
from router.plugins.contexts import (
    ExecutionRequestContext,
    ExecutionResponseContext,
    GraphQLRequestContext,
    GraphQLResponseContext,
    HttpRequestContext,
    HttpResponseContext,
    SubgraphRequestContext,
    SubgraphResponseContext,
)
from router.plugins.service import GraphQLService
from router.plugins.transport import Transport

__all__ = ["HOOKS", "NoConfig", "Plugin", "Reject"]

#: every hook, in the order a request meets them
HOOKS = (
    "http_request",
    "http_operations",
    "graphql_request",
    "execution_request",
    "subgraph_request",
    "subgraph_response",
    "execution_response",
    "graphql_response",
    "http_response",
)


class Reject(Exception):
    """Answer the request (or at `subgraph_request`, that fetch) with this instead.

    At the HTTP stage it is the whole answer; at `graphql_request` and
    `execution_request` it is that operation's answer; at `subgraph_request` it is
    the subgraph's answer (`body`, which then passes `subgraph_response`).
    """

    def __init__(
        self,
        status: int,
        message: str = "request rejected",
        code: str = "FORBIDDEN",
        *,
        body: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = (
            body if body is not None else {"errors": [graphql_error(message, None, code)]}
        )
        self.headers = dict(headers or {})


class NoConfig(BaseModel):
    """The config of a plugin that takes none (any key is an error)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Plugin:
    """Base class of router plugins: override the hooks you need (all are `async`).

    `Config` is the pydantic model of the plugin's `config:` in router.yaml; the
    validated instance is passed to `__init__`. `aclose` runs when the router stops.
    """

    Config: ClassVar[type[BaseModel]] = NoConfig

    def __init__(self, config: Any = None) -> None:
        self.config = config

    async def http_request(self, ctx: HttpRequestContext) -> None:
        """Headers read, body not yet: raise `Reject` to answer now."""

    async def http_operations(self, ctx: HttpRequestContext) -> None:
        """The body parsed: change `ctx.operations`, set `ctx.request.claims`, or reject."""

    async def http_response(self, ctx: HttpResponseContext) -> None:
        """A JSON answer before it is sent: change status, headers or body."""

    def graphql_service(self, service: GraphQLService) -> GraphQLService:
        """The service that answers a JSON operation: `service`, or a wrapper around it.

        Called once per router when the request stage is built, never per request.
        Streamed answers (SSE, multipart, WebSocket) do not pass it.
        """
        return service

    async def graphql_request(self, ctx: GraphQLRequestContext) -> None:
        """One operation, parsed and validated: change its variables, or reject it."""

    async def graphql_response(self, ctx: GraphQLResponseContext) -> None:
        """One operation's JSON answer: change its status or body."""

    async def execution_request(self, ctx: ExecutionRequestContext) -> None:
        """The plan is made: inspect it, or reject the operation."""

    async def execution_response(self, ctx: ExecutionResponseContext) -> None:
        """Each payload the executor made: change its body."""

    async def subgraph_request(self, ctx: SubgraphRequestContext) -> None:
        """A subgraph call: change its headers or body, or answer it with `Reject`."""

    async def subgraph_response(self, ctx: SubgraphResponseContext) -> None:
        """A subgraph's decoded answer: change its body."""

    def subgraph_transport(self, subgraph: str, transport: Transport) -> Transport:
        """The transport `subgraph`'s calls go through: `transport`, or a layer over it.

        Called once per subgraph client when its stack is composed, never per request.
        """
        return transport

    def uses(self, hook: str) -> bool:
        """Whether the chain calls `hook` on this plugin: by default, the hooks it overrides
        (a plugin whose config turns hooks on and off answers per instance)."""
        return getattr(type(self), hook) is not getattr(Plugin, hook)

    def middleware(self) -> Sequence[Middleware]:
        """ASGI middleware around the router's app, outermost first (none by default)."""
        return ()

    def wraps(self, scope: Scope) -> bool:
        """Whether this request must pass `middleware()` (asked only of plugins that have
        some; a GraphQL request no plugin wants goes straight to the HTTP stage)."""
        return True

    def supergraph_loaded(self, sdl: str) -> None:
        """The router serves `sdl` now (at start and after each reload)."""

    async def aclose(self) -> None:
        """Release what the plugin holds (connections, files) when the router stops."""
