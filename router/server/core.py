"""The router's request pipeline: document -> plan -> execution -> shaped response.

A `Router` holds an immutable `Snapshot` (supergraph, planner, caches); a
reload builds a new snapshot and swaps the reference, so requests already in
flight finish on the schema they started with.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    value_from_ast_untyped,
)
from graphql.execution.values import get_variable_values

from router.errors import ErrorCode, graphql_error
from router.executor.client import SubgraphClient
from router.executor.execute import ExecutionState, run_plan
from router.executor.shape import Shaper
from router.planner import PlanningError, QueryPlanner, condition_values
from router.planner.operation import select_operation
from router.server.documents import DocumentCache
from router.settings import RouterSettings
from router.supergraph import Supergraph, load_supergraph

__all__ = ["GraphQLResponse", "Router", "Snapshot"]


@dataclass(slots=True)
class GraphQLResponse:
    status: int
    body: dict[str, Any]


@dataclass(slots=True)
class Snapshot:
    supergraph: Supergraph
    planner: QueryPlanner
    documents: DocumentCache
    clients: dict[str, SubgraphClient] = field(default_factory=dict)


class Router:
    """Serves one supergraph (swappable with `reload`)."""

    def __init__(
        self,
        supergraph_sdl: str,
        settings: RouterSettings | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings or RouterSettings()
        self._http_client = http_client
        self._clients: dict[tuple[str, str], SubgraphClient] = {}
        self.snapshot = self._build(supergraph_sdl)

    def _client(self, name: str, url: str) -> SubgraphClient:
        key = (name, url)
        c = self._clients.get(key)
        if c is None:
            c = self._clients[key] = SubgraphClient(
                name,
                url,
                client=self._http_client,
                timeout_s=self.settings.subgraph_timeout_s,
                max_connections=self.settings.max_connections_per_subgraph,
            )
        return c

    def _build(self, sdl: str) -> Snapshot:
        sg = load_supergraph(sdl)
        snap = Snapshot(
            sg,
            QueryPlanner(sg, self.settings.plan_cache_size),
            DocumentCache(sg.api_schema, self.settings.document_cache_size),
        )
        for s in sg.subgraphs.values():
            snap.clients[s.name] = self._client(s.name, s.url)
        return snap

    def reload(self, supergraph_sdl: str) -> None:
        """Swap in a new supergraph; raises (and keeps the old one) if it does not load."""
        self.snapshot = self._build(supergraph_sdl)

    async def aclose(self) -> None:
        for c in self._clients.values():
            await c.aclose()
        self._clients.clear()

    # ---------------------------------------------------------------- request
    async def execute(
        self,
        query: str | None,
        operation_name: str | None = None,
        variables: Mapping[str, Any] | None = None,
        *,
        expose_plan: bool = False,
        allow_mutation: bool = True,
    ) -> GraphQLResponse:
        snap = self.snapshot
        if not isinstance(query, str) or not query.strip():
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
                405, {"errors": [graphql_error("mutations need POST", None, "BAD_REQUEST")]}
            )
        api = snap.supergraph.api_schema
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
        raw = _raw_variables(op, variables)
        conds = dict(
            zip(
                prepared.condition_variables,
                condition_values(op, prepared.condition_variables, variables),
                strict=True,
            )
        )
        try:
            planned = snap.planner.plan(doc, op, conds, cache_key=(query, operation_name))
        except PlanningError as exc:
            return GraphQLResponse(
                200,
                {
                    "data": None,
                    "errors": [graphql_error(str(exc), [], ErrorCode.QUERY_PLANNING_FAILED)],
                },
            )
        intro = _introspection(api, doc, op, raw)
        state = ExecutionState(snap.clients, raw, snap.planner.applies)
        await run_plan(planned.plan.node, state)
        root = {
            OperationType.QUERY: api.query_type,
            OperationType.MUTATION: api.mutation_type,
            OperationType.SUBSCRIPTION: api.subscription_type,
        }[op.operation]
        assert isinstance(root, GraphQLObjectType)
        shaper = Shaper(api, planned.context, state.errors)
        data = shaper.shape_root(state.data, root, op.selection_set, intro)
        body: dict[str, Any] = {"data": data}
        if state.errors:
            body["errors"] = state.errors
        if expose_plan:
            body["extensions"] = {"queryPlan": planned.plan.to_dict()}
        return GraphQLResponse(200, body)


def _bad(message: str, code: ErrorCode) -> GraphQLResponse:
    return GraphQLResponse(400, {"errors": [graphql_error(message, None, code)]})


def _with_code(err: dict[str, Any], code: ErrorCode) -> dict[str, Any]:
    ext = dict(err.get("extensions") or {})
    ext.setdefault("code", str(code))
    return {**err, "extensions": ext}


def _raw_variables(
    op: OperationDefinitionNode, variables: Mapping[str, Any] | None
) -> dict[str, Any]:
    out = dict(variables or {})
    for vd in op.variable_definitions or ():
        name = vd.variable.name.value
        if name not in out and vd.default_value is not None:
            out[name] = value_from_ast_untyped(vd.default_value)
    return out


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
