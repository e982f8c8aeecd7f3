"""Build the API schema: the supergraph minus join machinery and `@inaccessible` elements."""

from __future__ import annotations

from typing import Any

from graphql import (
    REMOVE,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    Visitor,
    build_ast_schema,
    visit,
)

from router.supergraph.links import LinkNames

__all__ = ["build_api_schema"]


def _is_machinery(name: str, names: LinkNames) -> bool:
    head, sep, _ = name.partition("__")
    return bool(sep) and head in names.machinery_prefixes


def _inaccessible(node: Any, names: LinkNames) -> bool:
    return any(d.name.value == names.inaccessible for d in node.directives or ())


class _Strip(Visitor):
    def __init__(self, names: LinkNames, hidden_types: set[str]) -> None:
        super().__init__()
        self.names = names
        self.hidden = hidden_types

    def enter_directive(self, node: DirectiveNode, *_: Any) -> Any:
        n = node.name.value
        if n in self.names.machinery_directives or _is_machinery(n, self.names):
            return REMOVE
        return None

    def enter_directive_definition(self, node: DirectiveDefinitionNode, *_: Any) -> Any:
        n = node.name.value
        if n in self.names.machinery_directives or _is_machinery(n, self.names):
            return REMOVE
        return None

    def enter(self, node: Any, *_: Any) -> Any:
        if isinstance(node, TypeDefinitionNode):
            if node.name.value in self.hidden:
                return REMOVE
        elif isinstance(
            node, FieldDefinitionNode | InputValueDefinitionNode | EnumValueDefinitionNode
        ):
            if _inaccessible(node, self.names):
                return REMOVE
        return None

    def enter_named_type(self, node: NamedTypeNode, *_: Any) -> Any:
        return REMOVE if node.name.value in self.hidden else None


def build_api_schema(doc: DocumentNode, names: LinkNames) -> GraphQLSchema:
    """Return the schema clients see (introspection answers from it)."""
    hidden = {
        d.name.value
        for d in doc.definitions
        if isinstance(d, TypeDefinitionNode)
        and (_is_machinery(d.name.value, names) or _inaccessible(d, names))
    }
    stripped = visit(doc, _Strip(names, hidden))
    defs = []
    for d in stripped.definitions:
        if isinstance(d, SchemaDefinitionNode):
            d = SchemaDefinitionNode(
                description=d.description, directives=(), operation_types=d.operation_types
            )
        if isinstance(d, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode) and not d.fields:
            continue
        if isinstance(d, UnionTypeDefinitionNode) and not d.types:
            continue
        defs.append(d)
    return build_ast_schema(DocumentNode(definitions=tuple(defs)), assume_valid_sdl=True)
