"""The router's request pipeline: document -> plan -> execution -> shaped response.

A `Router` holds an immutable `Snapshot` (supergraph, planner, caches); a
reload builds a new snapshot and swaps the reference, so requests already in
flight finish on the schema they started with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    execute_sync,
)
from graphql.execution.values import get_variable_values

from router import telemetry
from router.context import current_request
from router.errors import ErrorCode, graphql_error
from router.execution.prepared import PreparedRequest
from router.execution.response import execute_prepared
from router.planner import (
    CachingPlanner,
    PlanningError,
    QueryPlanner,
    condition_values,
)
from router.planner.operation import select_operation
from router.plugins import (
    ExecutionRequestContext,
    GraphQLRequestContext,
    GraphQLResponseContext,
    GraphQLService,
    PluginChain,
    Reject,
)
from router.plugins.service import GraphQLResponse
from router.request.authorization.authorize import Authorizer, build_authorizer
from router.request.documents import DocumentCache, with_defer
from router.request.limits.documents import guarded_document_cache
from router.request.request_telemetry import RequestTelemetryPlugin
from router.settings import RouterSettings
from router.subgraph_call.client import SubgraphClient
from router.subgraph_call.registry import SubgraphClients
from router.supergraph import Supergraph, load_supergraph

__all__ = ["Router", "Snapshot"]


@dataclass(slots=True)
class Snapshot:
    supergraph: Supergraph
    planner: CachingPlanner
    documents: DocumentCache
    clients: dict[str, SubgraphClient] = field(default_factory=dict)
    authorizer: Authorizer | None = None
    #: the API schema's root type per operation type
    roots: dict[OperationType, GraphQLObjectType] = field(default_factory=dict)


class Router:
    """The GraphQL request stage for one supergraph (swappable with `reload`).

    It owns what outlives a supergraph: the subgraph clients (and their traffic
    policies) and the plugins; each snapshot owns its document cache, planner
    and authorizer.
    """

    def __init__(
        self,
        supergraph_sdl: str,
        settings: RouterSettings | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        on_reload: Callable[[], None] | None = None,
        plugins: PluginChain | None = None,
    ) -> None:
        self.settings = settings or RouterSettings()
        #: the hooks of every stage (built-ins and router.yaml's plugins, in order)
        self.plugins = plugins if plugins is not None else PluginChain()
        self.subgraph_clients = SubgraphClients(
            self.settings, http_client=http_client, plugins=self.plugins
        )
        #: called after every successful reload (the server refreezes its heap)
        self.on_reload = on_reload
        #: one request, one response (no subscriptions, no `@defer`: see `streams.py`):
        #: `_execute` wrapped once by the plugins' `graphql_service`, then the request span
        #: and metrics (`RequestTelemetryPlugin`, the stage's own built-in, outermost)
        self.execute: GraphQLService = RequestTelemetryPlugin().graphql_service(
            self.plugins.wrap_graphql(self._execute)
        )
        self.snapshot = self._build(supergraph_sdl)

    def _build(self, sdl: str) -> Snapshot:
        sg = load_supergraph(sdl)
        snap = Snapshot(
            sg,
            CachingPlanner(QueryPlanner(sg), self.settings.plan_cache_size),
            guarded_document_cache(with_defer(sg.api_schema), self.settings),
        )
        api = snap.documents.schema
        snap.authorizer = build_authorizer(self.settings, sg.schema, api)
        for kind, t in (
            (OperationType.QUERY, api.query_type),
            (OperationType.MUTATION, api.mutation_type),
            (OperationType.SUBSCRIPTION, api.subscription_type),
        ):
            if t is not None:
                snap.roots[kind] = t
        for s in sg.subgraphs.values():
            snap.clients[s.name] = self.subgraph_clients.client(s.name, s.url)
        self.plugins.supergraph_loaded(sdl)
        return snap

    def reload(self, supergraph_sdl: str) -> None:
        """Swap in a new supergraph; raises (and keeps the old one) if it does not load."""
        self.snapshot = self._build(supergraph_sdl)
        if self.on_reload is not None:
            self.on_reload()

    async def aclose(self) -> None:
        await self.subgraph_clients.aclose()
        await self.plugins.aclose()

    # ---------------------------------------------------------------- request
    async def _execute(
        self,
        query: str | None,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        *,
        allow_mutation: bool = True,
    ) -> GraphQLResponse:
        """One request, one response (no subscriptions, no `@defer`: see `streams.py`);
        the core of `execute`, which plugins' `graphql_service` wrap."""
        prepared = await self.prepare(
            query, operation_name, variables, allow_mutation=allow_mutation
        )
        if isinstance(prepared, GraphQLResponse):
            return prepared
        if prepared.subscription:
            return _bad(
                "subscriptions need a WebSocket (graphql-transport-ws) or "
                "`Accept: text/event-stream`",
                ErrorCode.BAD_REQUEST,
                405,
            )
        if prepared.incremental:
            return _bad(
                "the operation uses @defer but the client does not accept multipart/mixed "
                "responses: send `Accept: multipart/mixed;deferSpec=20220824`",
                ErrorCode.DEFER_BAD_HEADER,
                406,
            )
        body = await execute_prepared(prepared)  # `run`, without its frame on every request
        return GraphQLResponse(200, body, operation_type=prepared.operation.operation.value)

    async def prepare(
        self,
        query: str | None,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        *,
        allow_mutation: bool = True,
    ) -> PreparedRequest | GraphQLResponse:
        """Parse, validate, coerce variables and plan; a `GraphQLResponse` is a request error.

        `graphql_request` hooks run once the operation is valid, `execution_request`
        hooks once it is planned; a `Reject` from either is the operation's answer.
        """
        snap = self.snapshot
        if not isinstance(query, str) or not query or query.isspace():
            return _bad("request has no query", ErrorCode.BAD_REQUEST)
        if len(query) > self.settings.max_query_bytes:
            return _bad("query is too large", ErrorCode.BAD_REQUEST)
        if variables is not None and not isinstance(variables, Mapping):
            return _bad("variables must be an object", ErrorCode.BAD_REQUEST)
        prepared = snap.documents.get(query)
        if prepared.document is None:
            return GraphQLResponse(400, {"errors": list(prepared.errors)})
        doc = prepared.document
        op = select_operation(doc, operation_name)
        if op is None:
            msg = (
                f"unknown operation named '{operation_name}'"
                if operation_name
                else "operationName is required when the document has several operations"
            )
            return _bad(msg, ErrorCode.BAD_REQUEST)
        if op.operation is OperationType.MUTATION and not allow_mutation:
            return GraphQLResponse(
                405, {"errors": [graphql_error("mutations need POST", None, ErrorCode.BAD_REQUEST)]}
            )
        hooks = self.plugins
        if hooks.graphql_request:
            gctx = GraphQLRequestContext(
                query, operation_name, dict(variables or {}), doc, op, current_request.get()
            )
            try:
                for hook in hooks.graphql_request:
                    await hook(gctx)
            except Reject as r:
                return GraphQLResponse(r.status, r.body)
            variables = gctx.variables
        api = snap.documents.schema
        facts = prepared.facts(op)
        check = facts.variable_check
        if check is None or not check.valid(variables or {}):
            coerced = get_variable_values(api, op.variable_definitions or (), dict(variables or {}))
            if isinstance(coerced, list):
                return GraphQLResponse(
                    400,
                    {
                        "errors": [
                            _with_code(dict(e.formatted), ErrorCode.BAD_USER_INPUT) for e in coerced
                        ]
                    },
                )
        raw = {**facts.defaults, **variables} if variables else dict(facts.defaults)
        conds = (
            dict(
                zip(
                    prepared.condition_variables,
                    condition_values(op, prepared.condition_variables, variables),
                    strict=True,
                )
            )
            if prepared.condition_variables
            else {}
        )
        authz = None
        if snap.authorizer is not None:
            ctx = current_request.get()
            claims = ctx.claims if ctx is not None else None
            authz = snap.authorizer.filter(doc, op, claims, (query, operation_name))
        try:
            with telemetry.plan_span() as span:
                if authz is None:
                    planned = snap.planner.plan(doc, op, conds, cache_key=(query, operation_name))
                    context = planned.context_for(conds)
                else:
                    key = (query, operation_name, authz.cache_key)
                    planned = snap.planner.plan(
                        authz.document, authz.operation, conds, cache_key=key
                    )
                    context = authz.shaping_context(conds, snap.planner.applies)
                telemetry.record_plan(span, snap.planner.last_was_hit)
        except PlanningError as exc:
            return GraphQLResponse(
                200,
                {
                    "data": None,
                    "errors": [graphql_error(str(exc), [], ErrorCode.QUERY_PLANNING_FAILED)],
                },
            )
        intro = _introspection(api, doc, op, raw) if facts.introspects else {}
        root = snap.roots.get(op.operation)
        assert root is not None
        request = current_request.get()
        ready = PreparedRequest(
            op,
            raw,
            planned,
            context,
            intro,
            root,
            api,
            snap.clients,
            snap.planner.applies,
            authz,
            hooks,
            request,
        )
        if hooks.execution_request:
            ectx = ExecutionRequestContext(query, op, raw, planned.plan, request)
            try:
                for ehook in hooks.execution_request:
                    await ehook(ectx)
            except Reject as r:
                return GraphQLResponse(r.status, r.body)
        return ready

    async def finish(self, response: GraphQLResponse) -> GraphQLResponse:
        """Pass one operation's JSON answer through the `graphql_response` hooks."""
        hooks = self.plugins.graphql_response
        if not hooks:
            return response
        ctx = GraphQLResponseContext(response.status, response.body, current_request.get())
        for hook in hooks:
            await hook(ctx)
        response.status, response.body = ctx.status, ctx.body
        return response

    async def run(self, prepared: PreparedRequest) -> GraphQLResponse:
        """Execute a prepared query or mutation whose plan has no `Defer` node."""
        body = await execute_prepared(prepared)
        return GraphQLResponse(200, body, operation_type=prepared.operation.operation.value)


def _bad(message: str, code: ErrorCode, status: int = 400) -> GraphQLResponse:
    return GraphQLResponse(status, {"errors": [graphql_error(message, None, code)]})


def _with_code(err: dict[str, Any], code: ErrorCode) -> dict[str, Any]:
    ext = dict(err.get("extensions") or {})
    ext.setdefault("code", str(code))
    return {**err, "extensions": ext}


def _introspection(
    schema: Any, doc: DocumentNode, op: OperationDefinitionNode, variables: dict[str, Any]
) -> dict[str, Any]:
    """Answer `__schema` / `__type` root fields from the API schema."""
    fields = [
        s
        for s in op.selection_set.selections
        if isinstance(s, FieldNode) and s.name.value in ("__schema", "__type")
    ]
    if not fields:
        return {}
    only = OperationDefinitionNode(
        operation=OperationType.QUERY,
        name=op.name,
        variable_definitions=op.variable_definitions,
        directives=op.directives,
        selection_set=SelectionSetNode(selections=tuple(fields)),
    )
    frags = [d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)]
    doc_only = DocumentNode(definitions=(only, *frags))
    result = execute_sync(schema, doc_only, variable_values=variables)
    return result.data or {}
