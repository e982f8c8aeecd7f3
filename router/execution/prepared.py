"""What the GraphQL request stage hands to execution: a validated, planned operation.

Everything execution needs travels in it (plan, variables, the API schema to
shape against, the subgraph clients), so the executor never reaches back into
the request stage; every transport (HTTP, SSE, multipart, WebSocket) runs the
same `PreparedRequest`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from graphql import GraphQLObjectType, GraphQLSchema, OperationDefinitionNode

from router.context import RequestContext
from router.execution.entities import Applies
from router.planner import (
    Condition,
    Defer,
    OperationContext,
    PlannedOperation,
    PlanNode,
    Subscription,
)
from router.plugins import PluginChain
from router.subgraph_call.client import SubgraphClient

__all__ = ["PreparedRequest", "ResponseErrors"]


class ResponseErrors(Protocol):
    """Adds the request stage's own errors to a response's (authorization's removed fields)."""

    def finish(self, errors: list[dict[str, Any]]) -> None: ...


@dataclass(slots=True)
class PreparedRequest:
    operation: OperationDefinitionNode
    variables: dict[str, Any]
    planned: PlannedOperation
    #: the operation as the shaper walks it, for this request's `@skip`/`@include` values
    context: OperationContext
    #: `__schema` / `__type` answered from the API schema, merged into the root
    introspection: dict[str, Any]
    root: GraphQLObjectType
    #: the API schema responses are shaped against
    schema: GraphQLSchema
    clients: Mapping[str, SubgraphClient]
    #: does a type condition apply to a concrete type (the planner's answer)
    applies: Applies
    #: fields `@authenticated`/`@requiresScopes` removed from the plan (request stage)
    authorization: ResponseErrors | None = None
    #: the hooks of every stage (execution calls `execution_response` on each payload)
    plugins: PluginChain = field(default_factory=PluginChain)
    #: the client request it came with (streamed payloads are made after the HTTP stage
    #: has returned, so hooks read it from here rather than from `current_request`)
    request: RequestContext | None = None

    @property
    def node(self) -> PlanNode | None:
        """The plan's root node for this request: `Condition`s at the root decided."""
        node = self.planned.plan.node
        while isinstance(node, Condition):
            node = node.if_clause if self.variables.get(node.condition) else node.else_clause
        return node

    @property
    def subscription(self) -> bool:
        return isinstance(self.node, Subscription)

    @property
    def incremental(self) -> bool:
        return isinstance(self.node, Defer)
