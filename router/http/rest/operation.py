"""A REST endpoint's GraphQL operation, checked against the API schema once.

`bind` reads the configured operation (text, file or persisted-query id), parses
and validates it, and works out where each variable comes from: a `{name}` path
segment, the JSON body (all of it, or one key per variable) or a query parameter.
A mistake in the configuration is a `RestConfigError` when the router starts, not
a 500 on the first request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    type_from_ast,
    validate,
    value_from_ast_untyped,
)

from router.planner.operation import select_operation
from router.request.persisted.manifest import Manifest
from router.settings.rest import RestEndpointSettings

__all__ = ["BoundOperation", "RestConfigError", "Variable", "bind"]

_SEGMENT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class RestConfigError(ValueError):
    """A REST endpoint's configuration does not fit the supergraph (the router refuses it)."""


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    type: GraphQLInputType
    #: "path", "query" or "body" (one key of the body object, or all of it: `whole_body`)
    source: str
    required: bool
    default: Any = None


@dataclass(frozen=True, slots=True)
class BoundOperation:
    settings: RestEndpointSettings
    text: str
    document: DocumentNode
    operation: OperationDefinitionNode
    variables: tuple[Variable, ...]
    #: the key of `data` that is the response body; None: all of `data`
    result_key: str | None
    #: the root field behind `result_key` (its description, its type)
    root_type: GraphQLObjectType
    root_field: FieldNode | None

    @property
    def mutation(self) -> bool:
        return self.operation.operation is OperationType.MUTATION

    @property
    def name(self) -> str | None:
        return self.operation.name.value if self.operation.name else None

    def by_source(self, source: str) -> list[Variable]:
        return [v for v in self.variables if v.source == source]


def operation_text(settings: RestEndpointSettings, manifest: Manifest | None) -> str:
    if settings.operation is not None:
        return settings.operation
    if settings.operation_file is not None:
        try:
            return settings.operation_file.read_text()
        except OSError as exc:
            raise RestConfigError(f"{_where(settings)}: cannot read operation_file: {exc}") from exc
    if manifest is None:
        raise RestConfigError(f"{_where(settings)}: persisted_id needs persisted_queries.manifest")
    assert settings.persisted_id is not None
    text = manifest.by_id.get(settings.persisted_id)
    if text is None:
        raise RestConfigError(
            f"{_where(settings)}: persisted_id {settings.persisted_id!r} is not in the manifest"
        )
    return text


def bind(
    settings: RestEndpointSettings, schema: GraphQLSchema, manifest: Manifest | None
) -> BoundOperation:
    """The endpoint's operation checked against `schema`; raises `RestConfigError`."""
    where = _where(settings)
    text = operation_text(settings, manifest)
    try:
        document = parse(text)
    except GraphQLError as exc:
        raise RestConfigError(f"{where}: the operation does not parse: {exc.message}") from exc
    errors = validate(schema, document)
    if errors:
        raise RestConfigError(f"{where}: the operation is invalid: {errors[0].message}")
    op = select_operation(document, settings.operation_name)
    if op is None:
        raise RestConfigError(f"{where}: name the operation to run (operation_name)")
    if op.operation is OperationType.SUBSCRIPTION:
        raise RestConfigError(f"{where}: subscriptions are not served as REST endpoints")
    if settings.method == "GET" and op.operation is not OperationType.QUERY:
        raise RestConfigError(f"{where}: GET endpoints run queries only")
    root = schema.get_root_type(op.operation)
    assert root is not None
    fields = [s for s in op.selection_set.selections if isinstance(s, FieldNode)]
    result_key, root_field = _result(settings, fields, len(op.selection_set.selections), where)
    variables = _variables(settings, schema, op, where)
    return BoundOperation(settings, text, document, op, variables, result_key, root, root_field)


def _result(
    settings: RestEndpointSettings, fields: list[FieldNode], selections: int, where: str
) -> tuple[str | None, FieldNode | None]:
    keys = {(f.alias or f.name).value: f for f in fields}
    if settings.result is not None:
        if settings.result not in keys:
            raise RestConfigError(
                f"{where}: result {settings.result!r} is not a root field of the operation "
                f"(it selects {', '.join(keys) or 'none'})"
            )
        return settings.result, keys[settings.result]
    if len(fields) == 1 and selections == 1:
        key = next(iter(keys))
        return key, keys[key]
    return None, None


def _variables(
    settings: RestEndpointSettings, schema: GraphQLSchema, op: OperationDefinitionNode, where: str
) -> tuple[Variable, ...]:
    in_path = _SEGMENT.findall(settings.path)
    declared = {d.variable.name.value: d for d in op.variable_definitions or ()}
    for name in in_path:
        if name not in declared:
            raise RestConfigError(f"{where}: path segment {{{name}}} is not a variable of it")
    if settings.body is not None and settings.body not in declared:
        raise RestConfigError(f"{where}: body {settings.body!r} is not a variable of it")
    has_body = settings.method not in ("GET", "DELETE")
    out = []
    for name, d in declared.items():
        t = type_from_ast(schema, d.type)
        assert t is not None  # validated above
        if name in in_path:
            source = "path"
        elif settings.body is not None:
            source = "body" if name == settings.body else "query"
        else:
            source = "body" if has_body else "query"
        default = value_from_ast_untyped(d.default_value) if d.default_value else None
        required = isinstance(t, GraphQLNonNull) and d.default_value is None
        out.append(Variable(name, t, source, required, default))  # type: ignore[arg-type]
    return tuple(out)


def _where(settings: RestEndpointSettings) -> str:
    return f"rest endpoint {settings.method} {settings.path}"
