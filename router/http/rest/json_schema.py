"""JSON Schema (2020-12, as OpenAPI 3.1 uses it) for GraphQL input types and selections.

Input types and enums become named components (`#/components/schemas/Name`),
written into the `components` dict passed in; a selection's result is inline,
since its shape is the operation's, not the type's: only the selected fields,
under their response keys. Every field selected without a condition is present
in a GraphQL response (null or not), so it is `required`; nullability is
`"null"` among the allowed types.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    NamedTypeNode,
    SelectionSetNode,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined

__all__ = ["input_schema", "nullable", "selection_schema"]

JsonSchema = dict[str, Any]

_SCALARS: dict[str, JsonSchema] = {
    "Int": {"type": "integer", "format": "int32"},
    "Float": {"type": "number", "format": "double"},
    "String": {"type": "string"},
    "Boolean": {"type": "boolean"},
    "ID": {"type": "string"},
    "DateTime": {"type": "string", "format": "date-time"},
    "Date": {"type": "string", "format": "date"},
    "Time": {"type": "string", "format": "time"},
    "UUID": {"type": "string", "format": "uuid"},
    "Decimal": {"type": "string"},
    "JSON": {},
}
_REF = "#/components/schemas/"


def nullable(schema: JsonSchema) -> JsonSchema:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _scalar(t: GraphQLScalarType) -> JsonSchema:
    found = _SCALARS.get(t.name)
    if found is not None:
        return dict(found)
    return {"description": t.description or f"GraphQL scalar {t.name}"}


def _enum(t: GraphQLEnumType, components: dict[str, JsonSchema]) -> JsonSchema:
    if t.name not in components:
        schema: JsonSchema = {"type": "string", "enum": list(t.values)}
        if t.description:
            schema["description"] = t.description
        components[t.name] = schema
    return {"$ref": _REF + t.name}


def input_schema(t: GraphQLInputType, components: dict[str, JsonSchema]) -> JsonSchema:
    """The schema of a value of input type `t` (nullable unless `t` is non-null)."""
    if isinstance(t, GraphQLNonNull):
        return _input_inner(t.of_type, components)
    return nullable(_input_inner(t, components))


def _input_inner(t: Any, components: dict[str, JsonSchema]) -> JsonSchema:
    if isinstance(t, GraphQLList):
        return {"type": "array", "items": input_schema(t.of_type, components)}
    if isinstance(t, GraphQLScalarType):
        return _scalar(t)
    if isinstance(t, GraphQLEnumType):
        return _enum(t, components)
    assert isinstance(t, GraphQLInputObjectType), t
    if t.name not in components:
        components[t.name] = {}  # placed first: a recursive input refers to itself
        properties: dict[str, JsonSchema] = {}
        required = []
        for name, field in t.fields.items():
            schema = input_schema(field.type, components)
            if field.description:
                schema = {**schema, "description": field.description}
            has_default, default = _default_of(field)
            if has_default and _is_json(default):
                schema = {**schema, "default": default}
            properties[name] = schema
            if isinstance(field.type, GraphQLNonNull) and not has_default:
                required.append(name)
        obj: JsonSchema = {
            "type": "object",
            "properties": properties,
            "additionalProperties": False,
        }
        if required:
            obj["required"] = required
        if t.description:
            obj["description"] = t.description
        components[t.name] = obj
    return {"$ref": _REF + t.name}


def _default_of(field: GraphQLInputField) -> tuple[bool, Any]:
    """(whether the field has a default, its value); graphql-core 3.3 keeps it as
    `default` (a value or a literal), earlier versions as `default_value`."""
    default = getattr(field, "default", None)
    if default is not None:
        if default.value is not Undefined:
            return True, default.value
        return True, value_from_ast_untyped(default.literal)
    value = getattr(field, "default_value", Undefined)
    return value is not Undefined, value


def _is_json(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | list | dict)


def selection_schema(
    t: GraphQLOutputType,
    selection: SelectionSetNode | None,
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    components: dict[str, JsonSchema],
) -> JsonSchema:
    """The schema of what `selection` on a value of type `t` answers."""
    if isinstance(t, GraphQLNonNull):
        return _output_inner(t.of_type, selection, schema, fragments, components)
    return nullable(_output_inner(t, selection, schema, fragments, components))


def _output_inner(
    t: Any,
    selection: SelectionSetNode | None,
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    components: dict[str, JsonSchema],
) -> JsonSchema:
    if isinstance(t, GraphQLList):
        item = selection_schema(t.of_type, selection, schema, fragments, components)
        return {"type": "array", "items": item}
    if isinstance(t, GraphQLScalarType):
        return _scalar(t)
    if isinstance(t, GraphQLEnumType):
        return _enum(t, components)
    assert selection is not None, t
    properties: dict[str, JsonSchema] = {}
    required: list[str] = []
    _collect(t, selection, schema, fragments, components, properties, required, True)
    obj: JsonSchema = {"type": "object", "properties": properties}
    if required:
        obj["required"] = required
    return obj


def _collect(
    parent: GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType,
    selection: SelectionSetNode,
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDefinitionNode],
    components: dict[str, JsonSchema],
    properties: dict[str, JsonSchema],
    required: list[str],
    certain: bool,
) -> None:
    """Fields of `selection` into `properties`; `certain`: always in the response."""
    for node in selection.selections:
        if isinstance(node, FieldNode):
            key = (node.alias or node.name).value
            conditional = any(d.name.value in ("skip", "include") for d in node.directives or ())
            if node.name.value == "__typename":
                properties[key] = {"type": "string"}
            else:
                assert not isinstance(parent, GraphQLUnionType)
                field = parent.fields[node.name.value]
                prop = selection_schema(
                    field.type, node.selection_set, schema, fragments, components
                )
                if field.description:
                    prop = {**prop, "description": field.description}
                if key in properties and "properties" in properties[key]:
                    prop = _merge(properties[key], prop)
                properties[key] = prop
            if certain and not conditional and key not in required:
                required.append(key)
            continue
        cond: NamedTypeNode | None
        if isinstance(node, FragmentSpreadNode):
            frag = fragments[node.name.value]
            cond, sub = frag.type_condition, frag.selection_set
        else:
            assert isinstance(node, InlineFragmentNode)
            cond, sub = node.type_condition, node.selection_set
        target = parent if cond is None else schema.get_type(cond.name.value)
        always = (
            certain and not node.directives and (cond is None or cond.name.value == parent.name)
        )
        assert isinstance(target, GraphQLObjectType | GraphQLInterfaceType | GraphQLUnionType)
        _collect(target, sub, schema, fragments, components, properties, required, always)


def _merge(a: JsonSchema, b: JsonSchema) -> JsonSchema:
    """The same response key selected twice: its sub-selections add up."""
    out = dict(b)
    out["properties"] = {**a.get("properties", {}), **b.get("properties", {})}
    req = list(dict.fromkeys([*a.get("required", []), *b.get("required", [])]))
    if req:
        out["required"] = req
    return out
