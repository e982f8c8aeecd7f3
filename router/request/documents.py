"""Parse and validate client documents once per query text (LRU cached)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
    value_from_ast_untyped,
)
from graphql.type.directives import GraphQLDeferDirective

from router.errors import ErrorCode
from router.planner import condition_variables
from router.request.variables import VariableCheck, variable_check

__all__ = ["DocumentCache", "OperationFacts", "PreparedDocument", "with_defer"]


def with_defer(schema: GraphQLSchema) -> GraphQLSchema:
    """The API schema plus `@defer(label, if)`, which the router serves (incremental delivery)."""
    if any(d.name == "defer" for d in schema.directives):
        return schema
    kwargs = schema.to_kwargs()
    kwargs["directives"] = (*schema.directives, GraphQLDeferDirective)
    return GraphQLSchema(**kwargs)


@dataclass(frozen=True, slots=True)
class PreparedDocument:
    document: DocumentNode | None
    errors: tuple[dict[str, Any], ...]
    condition_variables: tuple[str, ...]
    #: id(operation) -> what each request of it needs (operations live as long as `document`)
    _facts: dict[int, OperationFacts] = field(default_factory=dict)

    def facts(self, op: OperationDefinitionNode) -> OperationFacts:
        key = id(op)
        found = self._facts.get(key)
        if found is None:
            found = self._facts[key] = OperationFacts.of(op)
        return found


@dataclass(frozen=True, slots=True)
class OperationFacts:
    """Worked out once per operation instead of on every request."""

    #: the fast variable check, None when graphql-core must check
    variable_check: VariableCheck | None
    #: variable default values, for variables a request leaves out
    defaults: dict[str, Any]
    #: the operation selects `__schema` or `__type` at its root
    introspects: bool

    @staticmethod
    def of(op: OperationDefinitionNode) -> OperationFacts:
        defaults = {
            vd.variable.name.value: value_from_ast_untyped(vd.default_value)
            for vd in op.variable_definitions or ()
            if vd.default_value is not None
        }
        introspects = any(
            isinstance(s, FieldNode) and s.name.value in ("__schema", "__type")
            for s in op.selection_set.selections
        )
        return OperationFacts(variable_check(op), defaults, introspects)


def _format(err: GraphQLError, code: ErrorCode) -> dict[str, Any]:
    out = err.formatted
    ext = dict(out.get("extensions") or {})
    ext.setdefault("code", str(code))
    out["extensions"] = ext
    return dict(out)


class DocumentCache:
    def __init__(self, schema: GraphQLSchema, size: int) -> None:
        self.schema = schema
        self.size = size
        self._docs: OrderedDict[str, PreparedDocument] = OrderedDict()

    def get(self, query: str) -> PreparedDocument:
        hit = self._docs.get(query)
        if hit is not None:
            self._docs.move_to_end(query)
            return hit
        prepared = self._prepare(query)
        self._docs[query] = prepared
        if len(self._docs) > self.size:
            self._docs.popitem(last=False)
        return prepared

    def _prepare(self, query: str) -> PreparedDocument:
        try:
            doc = parse(query)
        except GraphQLError as err:
            return PreparedDocument(None, (_format(err, ErrorCode.GRAPHQL_PARSE_FAILED),), ())
        errors = validate(self.schema, doc)
        if errors:
            return PreparedDocument(
                None, tuple(_format(e, ErrorCode.GRAPHQL_VALIDATION_FAILED) for e in errors), ()
            )
        return PreparedDocument(doc, (), condition_variables(doc))
