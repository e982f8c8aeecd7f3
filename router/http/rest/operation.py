"""A REST endpoint's GraphQL operation: read and checked once, bound to each supergraph.

`prepare` reads the configured operation (text, file or persisted-query id), parses
it and works out where each variable comes from: a `{name}` path segment, the JSON
body (all of it, or one key per variable) or a query parameter. A mistake there is
in the configuration itself: a `RestConfigError` when the router starts.

`bind` validates the prepared operation against a supergraph's API schema. An
operation that does not fit (a field or type the supergraph lacks, e.g. the fraud
endpoints under `chorus dev concierge`) is an `OperationUnfit`: the endpoint is
disabled for that supergraph, not the router stopped.
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

__all__ = [
    "BoundOperation",
    "OperationUnfit",
    "PreparedOperation",
    "RestConfigError",
    "Variable",
    "bind",
    "prepare",
]

_SEGMENT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class RestConfigError(ValueError):
    """A REST endpoint's configuration is unusable with any supergraph (the router refuses it)."""


class OperationUnfit(ValueError):
    """A REST endpoint's operation does not validate against the current supergraph."""


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


@dataclass(frozen=True, slots=True)
class PreparedOperation:
    """The endpoint's operation, parsed and checked for what needs no schema."""

    settings: RestEndpointSettings
    text: str
    document: DocumentNode
    operation: OperationDefinitionNode
    result_key: str | None
    root_field: FieldNode | None
    #: variable name -> "path", "query" or "body"
    sources: dict[str, str]

    @property
    def where(self) -> str:
        return _where(self.settings)


def prepare(settings: RestEndpointSettings, manifest: Manifest | None) -> PreparedOperation:
    """The endpoint's operation, read and parsed; raises `RestConfigError`."""
    where = _where(settings)
    text = operation_text(settings, manifest)
    try:
        document = parse(text)
    except GraphQLError as exc:
        raise RestConfigError(f"{where}: the operation does not parse: {exc.message}") from exc
    op = select_operation(document, settings.operation_name)
    if op is None:
        raise RestConfigError(f"{where}: name the operation to run (operation_name)")
    if op.operation is OperationType.SUBSCRIPTION:
        raise RestConfigError(f"{where}: subscriptions are not served as REST endpoints")
    if settings.method == "GET" and op.operation is not OperationType.QUERY:
        raise RestConfigError(f"{where}: GET endpoints run queries only")
    fields = [s for s in op.selection_set.selections if isinstance(s, FieldNode)]
    result_key, root_field = _result(settings, fields, len(op.selection_set.selections), where)
    sources = _sources(settings, op, where)
    return PreparedOperation(settings, text, document, op, result_key, root_field, sources)


def bind(prepared: PreparedOperation, schema: GraphQLSchema) -> BoundOperation:
    """The prepared operation checked against `schema`; raises `OperationUnfit`."""
    errors = validate(schema, prepared.document)
    if errors:
        raise OperationUnfit(f"the operation is invalid: {errors[0].message}")
    op = prepared.operation
    root = schema.get_root_type(op.operation)
    assert root is not None  # validated above
    variables = []
    for d in op.variable_definitions or ():
        name = d.variable.name.value
        t = type_from_ast(schema, d.type)
        assert t is not None  # validated above
        default = value_from_ast_untyped(d.default_value) if d.default_value else None
        required = isinstance(t, GraphQLNonNull) and d.default_value is None
        source = prepared.sources[name]
        variables.append(Variable(name, t, source, required, default))  # type: ignore[arg-type]
    return BoundOperation(
        prepared.settings,
        prepared.text,
        prepared.document,
        op,
        tuple(variables),
        prepared.result_key,
        root,
        prepared.root_field,
    )


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


def _sources(
    settings: RestEndpointSettings, op: OperationDefinitionNode, where: str
) -> dict[str, str]:
    in_path = _SEGMENT.findall(settings.path)
    declared = [d.variable.name.value for d in op.variable_definitions or ()]
    for name in in_path:
        if name not in declared:
            raise RestConfigError(f"{where}: path segment {{{name}}} is not a variable of it")
    if settings.body is not None and settings.body not in declared:
        raise RestConfigError(f"{where}: body {settings.body!r} is not a variable of it")
    has_body = settings.method not in ("GET", "DELETE")
    out = {}
    for name in declared:
        if name in in_path:
            out[name] = "path"
        elif settings.body is not None:
            out[name] = "body" if name == settings.body else "query"
        else:
            out[name] = "body" if has_body else "query"
    return out


def _where(settings: RestEndpointSettings) -> str:
    return f"rest endpoint {settings.method} {settings.path}"
