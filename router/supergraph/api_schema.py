"""The API schema: what clients see of a supergraph (the one builder; composition uses it too).

It is the supergraph minus the machinery of every `https://specs.apollo.dev/`
feature it links (join, link, inaccessible, tag, ...) and minus every element
marked `@inaccessible`. Directives composed with `@composeDirective` belong to
other specs and stay. A type left without fields (or a union without members)
once its inaccessible parts are gone is dropped with the references to it.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListValueNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    ObjectValueNode,
    SchemaDefinitionNode,
    StringValueNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    Visitor,
    build_ast_schema,
    visit,
)
from graphql.language.visitor import REMOVE

from router.supergraph.links import parse_link_url

__all__ = ["APOLLO_SPECS", "build_api_schema"]

APOLLO_SPECS = "https://specs.apollo.dev/"


def _feature_names(document: DocumentNode) -> tuple[set[str], set[str], set[str]]:
    """(namespaces of removed features, imported directive names, inaccessible directive names)."""
    namespaces: set[str] = {"link"}
    imported: set[str] = set()
    inaccessible: set[str] = {"inaccessible"}
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode):
            continue
        for directive in definition.directives or ():
            if directive.name.value != "link":
                continue
            args = {a.name.value: a.value for a in directive.arguments or ()}
            url = args.get("url")
            if not isinstance(url, StringValueNode) or not url.value.startswith(APOLLO_SPECS):
                continue
            parsed = parse_link_url(url.value)
            if parsed is None:
                continue
            as_ = args.get("as")
            namespace = as_.value if isinstance(as_, StringValueNode) else parsed[0]
            namespaces.add(namespace)
            if parsed[0] == "inaccessible":
                inaccessible.add(namespace)
            imports = args.get("import")
            for item in imports.values if isinstance(imports, ListValueNode) else ():
                if isinstance(item, StringValueNode):
                    imported.add(item.value.lstrip("@"))
                elif isinstance(item, ObjectValueNode):
                    for f in item.fields:
                        if f.name.value == "as" and isinstance(f.value, StringValueNode):
                            imported.add(f.value.value.lstrip("@"))
    return namespaces, imported, inaccessible


class _ToApi(Visitor):
    def __init__(self, namespaces: set[str], imported: set[str], inaccessible: set[str]) -> None:
        super().__init__()
        self.namespaces = namespaces
        self.imported = imported
        self.inaccessible = inaccessible
        self.removed_types: set[str] = set()

    def feature_name(self, name: str) -> bool:
        prefix, sep, _ = name.partition("__")
        return (
            name in self.namespaces
            or name in self.imported
            or (bool(sep) and prefix in self.namespaces)
        )

    def is_inaccessible(self, node: Any) -> bool:
        return any(d.name.value in self.inaccessible for d in node.directives or ())

    def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
        return REMOVE if self.feature_name(node.name.value) else None

    def enter_directive_definition(self, node: DirectiveDefinitionNode, *_: Any) -> Any:
        return REMOVE if self.feature_name(node.name.value) else None

    def enter(self, node: Any, *_: Any) -> Any:
        if isinstance(node, TypeDefinitionNode):
            if self.feature_name(node.name.value) or self.is_inaccessible(node):
                return REMOVE
        if isinstance(
            node, FieldDefinitionNode | InputValueDefinitionNode | EnumValueDefinitionNode
        ):
            if self.is_inaccessible(node):
                return REMOVE
        return None


def _removed_types(document: DocumentNode, visitor: _ToApi) -> set[str]:
    return {
        d.name.value
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode)
        and (visitor.feature_name(d.name.value) or visitor.is_inaccessible(d))
    }


class _DropReferences(Visitor):
    """Drop union members and implemented interfaces that were removed."""

    def __init__(self, removed: set[str]) -> None:
        super().__init__()
        self.removed = removed

    def enter_named_type(self, node: NamedTypeNode, key: Any, parent: Any, *_: Any) -> Any:
        if key is not None and isinstance(key, int) and node.name.value in self.removed:
            return REMOVE
        return None


def _empty(definition: Any) -> bool:
    if isinstance(definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode):
        return not definition.fields
    if isinstance(definition, UnionTypeDefinitionNode):
        return not definition.types
    return False


def build_api_schema(document: DocumentNode, *, assume_valid_sdl: bool = True) -> GraphQLSchema:
    """Build the API schema of a parsed supergraph (raises GraphQLError if it is invalid)."""
    visitor = _ToApi(*_feature_names(document))
    removed = _removed_types(document, visitor)
    document = visit(document, visitor)
    emptied = {
        d.name.value
        for d in document.definitions
        if isinstance(d, TypeDefinitionNode) and _empty(d)
    }
    if emptied:
        document = DocumentNode(
            definitions=tuple(
                d
                for d in document.definitions
                if not (isinstance(d, TypeDefinitionNode) and d.name.value in emptied)
            )
        )
        removed |= emptied
    document = visit(document, _DropReferences(removed))
    return build_ast_schema(document, assume_valid_sdl=assume_valid_sdl)
