"""What a new subgraph needs to know of another team's entity: its key and its fields' types.

Read from the subgraphs' SDL (as `_service { sdl }` reports it), so the stub the
scaffold declares (`@key` fields, `@external` required fields) matches the owner's
definition exactly, and a misspelt type or field is refused before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldDefinitionNode,
    FieldNode,
    GraphQLSyntaxError,
    ListTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeNode,
    parse,
    print_ast,
)

from chorus.scaffold.errors import ScaffoldError

# built-in scalars: (Python annotation, a sample JSON value for the generated test)
SCALARS: dict[str, tuple[str, Any]] = {
    "ID": ("strawberry.ID", "1"),
    "String": ("str", "sample text"),
    "Int": ("int", 3),
    "Float": ("float", 0.5),
    "Boolean": ("bool", True),
}


@dataclass(frozen=True)
class EntityField:
    name: str  # the GraphQL name
    graphql_type: str  # e.g. "String!"
    python_type: str  # e.g. "str"
    sample: Any  # a JSON value of that type


@dataclass(frozen=True)
class Entity:
    type_name: str
    owner: str  # the subgraph that resolves it by the key below
    key: str  # the `@key(fields:)` selection
    key_fields: tuple[EntityField, ...]
    required: tuple[EntityField, ...]


_ObjectNode = ObjectTypeDefinitionNode | ObjectTypeExtensionNode


def _objects(sdl: str, subgraph: str) -> dict[str, list[_ObjectNode]]:
    try:
        document = parse(sdl)
    except GraphQLSyntaxError as exc:
        raise ScaffoldError(
            f"subgraph {subgraph} reports an SDL that does not parse: {exc}"
        ) from exc
    found: dict[str, list[_ObjectNode]] = {}
    for node in document.definitions:
        if isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode):
            found.setdefault(node.name.value, []).append(node)
    return found


def _argument(directive: DirectiveNode, name: str) -> Any:
    for arg in directive.arguments or ():
        if arg.name.value == name:
            value = arg.value
            if isinstance(value, StringValueNode | BooleanValueNode):
                return value.value
    return None


def _keys(nodes: list[_ObjectNode]) -> list[str]:
    """The resolvable `@key` selections of one subgraph's definition of a type."""
    return [
        str(_argument(d, "fields"))
        for node in nodes
        for d in node.directives or ()
        if d.name.value == "key"
        and _argument(d, "fields") is not None
        and _argument(d, "resolvable") is not False
    ]


def _fields(nodes: list[_ObjectNode]) -> dict[str, FieldDefinitionNode]:
    return {f.name.value: f for node in nodes for f in node.fields or ()}


def _external(field: FieldDefinitionNode) -> bool:
    return any(d.name.value == "external" for d in field.directives or ())


def _python(node: TypeNode, where: str) -> tuple[str, Any]:
    """The Python annotation and a sample value of a field type of built-in scalars."""
    nullable = not isinstance(node, NonNullTypeNode)
    inner = node.type if isinstance(node, NonNullTypeNode) else node
    if isinstance(inner, ListTypeNode):
        item, sample = _python(inner.type, where)
        annotation, value = f"list[{item}]", [sample]
    else:
        scalar = SCALARS.get(inner.name.value)  # type: ignore[union-attr]
        if scalar is None:
            raise ScaffoldError(
                f"{where} is {print_ast(node)}: the scaffold declares only fields of the "
                f"built-in scalars ({', '.join(SCALARS)}) or lists of them; require a "
                "scalar field, or write the stub of that type yourself"
            )
        annotation, value = scalar
    return (f"{annotation} | None" if nullable else annotation), value


def _key_field_names(type_name: str, key: str) -> list[str]:
    try:
        operation = parse(f"{{ {key} }}").definitions[0]
    except GraphQLSyntaxError as exc:
        raise ScaffoldError(f"{type_name}'s @key(fields: {key!r}) does not parse: {exc}") from exc
    assert isinstance(operation, OperationDefinitionNode)
    names: list[str] = []
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.selection_set is not None:
            raise ScaffoldError(
                f"{type_name}'s key {key!r} selects nested fields; the scaffold extends "
                "entities keyed by scalar fields only"
            )
        names.append(selection.name.value)
    return names


def find_entity(
    sdls: Mapping[str, str], type_name: str, requires: Sequence[str], new_field: str
) -> Entity:
    """The entity `type_name` as the subgraphs define it, checked for a new field `new_field`.

    `sdls` maps subgraph names to their SDL, in chorus.yaml order.
    """
    objects = {name: _objects(sdl, name) for name, sdl in sdls.items()}
    defining = {name: found[type_name] for name, found in objects.items() if type_name in found}
    entities = sorted(
        {t for found in objects.values() for t, nodes in found.items() if _keys(nodes)}
    )
    if not defining:
        raise ScaffoldError(
            f"no subgraph in chorus.yaml has a type {type_name!r}; "
            f"entities you can extend: {', '.join(entities) or 'none'}"
        )
    resolvers = [name for name, nodes in defining.items() if _keys(nodes)]
    if not resolvers:
        raise ScaffoldError(
            f"{type_name} is not an entity (no subgraph resolves it by a @key), so other "
            f"subgraphs cannot add fields to it; entities: {', '.join(entities) or 'none'}"
        )
    # the owner: of the subgraphs resolving it by key, the one defining most of its fields
    owner = max(
        resolvers,
        key=lambda n: sum(not _external(f) for f in _fields(defining[n]).values()),
    )
    key = _keys(defining[owner])[0]
    key_names = _key_field_names(type_name, key)

    fields_by_subgraph = {name: _fields(nodes) for name, nodes in defining.items()}
    all_fields = sorted({f for fields in fields_by_subgraph.values() for f in fields})
    for name, fields in fields_by_subgraph.items():
        if new_field in fields:
            raise ScaffoldError(
                f"{type_name} already has a field {new_field!r} (in subgraph {name}); "
                "name the new one with --field"
            )

    def lookup(field_name: str) -> EntityField:
        candidates = [
            fields[field_name] for fields in fields_by_subgraph.values() if field_name in fields
        ]
        if not candidates:
            raise ScaffoldError(
                f"{type_name} has no field {field_name!r}; its fields: {', '.join(all_fields)}"
            )
        definition = next((f for f in candidates if not _external(f)), candidates[0])
        annotation, sample = _python(definition.type, f"{type_name}.{field_name}")
        return EntityField(field_name, print_ast(definition.type), annotation, sample)

    for name in requires:
        if name in key_names:
            raise ScaffoldError(
                f"--requires {name}: it is part of {type_name}'s key ({key}), which every "
                "representation carries already"
            )
    if len(set(requires)) != len(requires):
        raise ScaffoldError("--requires names a field twice")
    return Entity(
        type_name,
        owner,
        key,
        tuple(lookup(n) for n in key_names),
        tuple(lookup(n) for n in requires),
    )


def python_literal(value: Any) -> str:
    """A JSON sample value as Python source (double-quoted strings, as ruff formats them)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    return json.dumps(value)
