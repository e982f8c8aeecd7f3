"""What each hook is given: one small typed object per stage and direction.

Fields a hook may change are marked "mutable"; the stage reads them back after
the hooks ran. `request` is the client request's `RequestContext` (headers,
JWT claims, `data` for values plugins pass between stages); it is None where
there is no HTTP request (a subscription's events over the WebSocket).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import DocumentNode, OperationDefinitionNode

from router.context import RequestContext

if TYPE_CHECKING:
    from router.planner.plan import QueryPlan
    from router.plugins.interface import Reject

__all__ = [
    "ExecutionRequestContext",
    "ExecutionResponseContext",
    "GraphQLOperation",
    "GraphQLRequestContext",
    "GraphQLResponseContext",
    "HttpRequestContext",
    "HttpResponseContext",
    "SubgraphRequestContext",
    "SubgraphResponseContext",
]


@dataclass(slots=True)
class GraphQLOperation:
    """One operation of an HTTP request (a batch has several); mutable until it is run."""

    query: str | None
    operation_name: str | None
    variables: dict[str, Any] | None
    extensions: dict[str, Any] | None
    #: set by `reject`: this operation is answered with the rejection, the others still run
    rejection: Reject | None = None

    def reject(self, rejection: Reject) -> None:
        self.rejection = rejection


class HttpRequestContext:
    """`http_request` (headers read, body not yet) and `http_operations` (body parsed)."""

    __slots__ = ("batch", "client_host", "headers", "method", "operations", "path", "request")

    def __init__(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        client_host: str | None,
        request: RequestContext,
    ) -> None:
        self.method = method
        self.path = path
        #: the client's headers (mutable, lower-case names; the same dict as `request.headers`)
        self.headers = headers
        self.client_host = client_host
        #: set `request.claims` to authenticate; `request.data` travels to the later stages
        self.request = request
        #: the operations of the body (mutable); empty in `http_request`
        self.operations: list[GraphQLOperation] = []
        self.batch = False


class HttpResponseContext:
    """`http_response`: a JSON answer before it is sent (streamed answers do not pass here)."""

    __slots__ = ("body", "headers", "request", "status")

    def __init__(
        self, status: int, body: Any, request: RequestContext | None, headers: dict[str, str]
    ) -> None:
        self.status = status  # mutable
        self.body = body  # mutable: the JSON value (a list for a batch)
        self.headers = headers  # mutable: response headers added to content-type/length
        self.request = request


class GraphQLRequestContext:
    """`graphql_request`: one operation, parsed and validated, before variables and planning."""

    __slots__ = ("document", "operation", "operation_name", "query", "request", "variables")

    def __init__(
        self,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any],
        document: DocumentNode,
        operation: OperationDefinitionNode,
        request: RequestContext | None,
    ) -> None:
        self.query = query
        self.operation_name = operation_name
        self.variables = variables  # mutable (coerced after the hooks)
        self.document = document
        self.operation = operation
        self.request = request


class GraphQLResponseContext:
    """`graphql_response`: one operation's JSON answer (not streamed), before HTTP framing."""

    __slots__ = ("body", "request", "status")

    def __init__(self, status: int, body: dict[str, Any], request: RequestContext | None) -> None:
        self.status = status  # mutable
        self.body = body  # mutable
        self.request = request


class ExecutionRequestContext:
    """`execution_request`: the plan is made, nothing has been fetched."""

    __slots__ = ("operation", "plan", "query", "request", "variables")

    def __init__(
        self,
        query: str,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        plan: QueryPlan,
        request: RequestContext | None,
    ) -> None:
        self.query = query
        self.operation = operation
        self.variables = variables
        self.plan = plan
        self.request = request


class ExecutionResponseContext:
    """`execution_response`: each payload (one, or the parts of a `@defer` or subscription)."""

    __slots__ = ("body", "first", "plan", "request")

    def __init__(
        self, body: dict[str, Any], plan: QueryPlan, first: bool, request: RequestContext | None
    ) -> None:
        self.body = body  # mutable
        self.plan = plan
        #: the first payload of the operation (a stream's initial payload)
        self.first = first
        self.request = request


class SubgraphRequestContext:
    """`subgraph_request`: one call to a subgraph, before its policy and transport."""

    __slots__ = ("body", "headers", "request", "service_name", "uri")

    def __init__(
        self,
        service_name: str,
        uri: str,
        headers: dict[str, str],
        body: dict[str, Any],
        request: RequestContext | None,
    ) -> None:
        self.service_name = service_name
        self.uri = uri
        self.headers = headers  # mutable: what is sent besides content-type/accept
        self.body = body  # mutable: {"query", "variables"?}
        self.request = request


class SubgraphResponseContext:
    """`subgraph_response`: the subgraph's decoded GraphQL answer."""

    __slots__ = ("body", "headers", "request", "service_name", "status", "uri")

    def __init__(
        self,
        service_name: str,
        uri: str,
        status: int,
        headers: dict[str, str],
        body: dict[str, Any],
        request: RequestContext | None,
    ) -> None:
        self.service_name = service_name
        self.uri = uri
        self.status = status
        self.headers = headers
        self.body = body  # mutable: {"data", "errors"?}
        self.request = request
