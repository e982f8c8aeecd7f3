"""The OpenAPI 3.1 document of the REST endpoints, generated from their operations.

Parameters and request bodies come from the operations' variable types, response
bodies from their selections, both read in the supergraph's API schema (so the
document follows a supergraph reload). Errors are `Problem` documents with the
statuses of `router/http/rest/errors.py`.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from graphql import FragmentDefinitionNode, GraphQLNonNull, GraphQLSchema

from router.http.rest.json_schema import JsonSchema, input_schema, selection_schema
from router.http.rest.operation import BoundOperation
from router.settings.rest import RestSettings

__all__ = ["openapi_document"]

_ERROR_STATUSES = (400, 401, 403, 422, 429, 500, 502, 503, 504)
_PROBLEM_SCHEMA: JsonSchema = {
    "type": "object",
    "description": "RFC 9457 problem details, with the GraphQL errors behind them.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "extensions.code of the first error"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "message": {"type": "string"},
                    "path": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "extensions": {"type": "object"},
                },
                "required": ["message"],
            },
        },
        "data": {"description": "what the operation answered besides the errors, if anything"},
    },
    "required": ["type", "title", "status", "detail", "errors"],
}


_PROBLEM_REF: JsonSchema = {"$ref": "#/components/schemas/Problem"}


def openapi_document(
    settings: RestSettings, bound: tuple[BoundOperation, ...], schema: GraphQLSchema
) -> dict[str, Any]:
    components: dict[str, JsonSchema] = {}
    paths: dict[str, dict[str, Any]] = {}
    used_ids: set[str] = set()
    for op in bound:
        item = paths.setdefault(op.settings.path, {})
        item[op.settings.method.lower()] = _operation(op, schema, components, used_ids)
    components["Problem"] = _PROBLEM_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {
            "title": settings.title,
            "version": settings.version,
            "description": "REST endpoints of the Chorus router; each runs a GraphQL "
            "operation through the same pipeline as /graphql.",
        },
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items()))},
    }


def _operation(
    op: BoundOperation, schema: GraphQLSchema, components: dict[str, JsonSchema], used: set[str]
) -> dict[str, Any]:
    s = op.settings
    field_def = (
        op.root_type.fields.get(op.root_field.name.value) if op.root_field is not None else None
    )
    out: dict[str, Any] = {"operationId": _operation_id(op, used)}
    summary = s.summary or (field_def.description if field_def is not None else None)
    if summary:
        out["summary"] = summary
    out["description"] = f"Runs the GraphQL operation:\n\n```graphql\n{op.text.strip()}\n```"
    if s.tags:
        out["tags"] = list(s.tags)
    params = []
    for v in op.variables:
        if v.source not in ("path", "query"):
            continue
        param: dict[str, Any] = {
            "name": v.name,
            "in": v.source,
            "required": v.source == "path" or v.required,
            "schema": _with_default(input_schema(v.type, components), v.default),
        }
        params.append(param)
    if params:
        out["parameters"] = params
    body = op.by_source("body")
    if body:
        if s.body is not None:
            body_schema = input_schema(body[0].type, components)
            required = body[0].required
        else:
            props = {
                v.name: _with_default(input_schema(v.type, components), v.default) for v in body
            }
            body_schema = {"type": "object", "properties": props, "additionalProperties": False}
            names = [v.name for v in body if v.required]
            if names:
                body_schema["required"] = names
            required = bool(names)
        out["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": body_schema}},
        }
    fragments = {
        d.name.value: d for d in op.document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    if op.root_field is not None and field_def is not None:
        # a null result is a 404, so a success always has the object
        nullable = not isinstance(field_def.type, GraphQLNonNull)
        result = selection_schema(
            GraphQLNonNull(field_def.type) if nullable else field_def.type,
            op.root_field.selection_set,
            schema,
            fragments,
            components,
        )
    else:
        nullable = False
        result = selection_schema(
            GraphQLNonNull(op.root_type), op.operation.selection_set, schema, fragments, components
        )
    responses: dict[str, Any] = {
        str(s.status): {
            "description": HTTPStatus(s.status).phrase,
            "content": {"application/json": {"schema": result}},
        }
    }
    statuses = sorted({*_ERROR_STATUSES, *([404] if nullable else [])})
    for status in statuses:
        responses[str(status)] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/problem+json": {"schema": _PROBLEM_REF}},
        }
    out["responses"] = responses
    return out


def _with_default(schema: JsonSchema, default: Any) -> JsonSchema:
    return schema if default is None else {**schema, "default": default}


def _operation_id(op: BoundOperation, used: set[str]) -> str:
    base = op.name or re.sub(r"[^A-Za-z0-9]+", "_", f"{op.settings.method}{op.settings.path}")
    name, n = base, 2
    while name in used:
        name, n = f"{base}{n}", n + 1
    used.add(name)
    return name
