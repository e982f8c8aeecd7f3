"""The plugin interface of the request stages: typed, async request/response hooks.

A plugin is a `Plugin` subclass that overrides the hooks it needs; the stages call
them in order (built-ins first, then `router.yaml`'s `plugins:` in config order)
with a typed context object; at the subgraph stage a plugin may also wrap the
transport (`subgraph_transport`, once per subgraph, `Layer`). A stage with no hook
does no work for plugins. Rejecting a request is `raise Reject(status, message)`.

This package sits below every stage (imports point one way: stages call hooks,
hooks see only the contexts), so a plugin never imports a stage.
"""

from __future__ import annotations

from router.plugins.chain import PluginChain
from router.plugins.contexts import (
    ExecutionRequestContext,
    ExecutionResponseContext,
    GraphQLOperation,
    GraphQLRequestContext,
    GraphQLResponseContext,
    HttpRequestContext,
    HttpResponseContext,
    SubgraphRequestContext,
    SubgraphResponseContext,
)
from router.plugins.interface import HOOKS, NoConfig, Plugin, Reject
from router.plugins.loader import PluginError, load_plugins
from router.plugins.service import GraphQLResponse, GraphQLService
from router.plugins.transport import Layer, RawResponse, SubgraphRequest, Transport

__all__ = [
    "HOOKS",
    "ExecutionRequestContext",
    "ExecutionResponseContext",
    "GraphQLOperation",
    "GraphQLRequestContext",
    "GraphQLResponse",
    "GraphQLResponseContext",
    "GraphQLService",
    "HttpRequestContext",
    "HttpResponseContext",
    "Layer",
    "NoConfig",
    "Plugin",
    "PluginChain",
    "PluginError",
    "RawResponse",
    "Reject",
    "SubgraphRequest",
    "SubgraphRequestContext",
    "SubgraphResponseContext",
    "Transport",
    "load_plugins",
]
