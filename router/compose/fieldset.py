"""Field sets: the selection strings of `@key`, `@requires` and `@provides`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    FieldNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from .model import FieldDef, Subgraph, named_type


class FieldSetSyntaxError(ValueError):
    """The string is not a selection set."""


@dataclass(frozen=True)
class Selected:
    """One field a field set selects, with the type it was selected on."""

    parent: str
    name: str
    definition: FieldDef | None
    node: FieldNode
    depth: int
    #: some enclosing field of the selection is `@external`
    under_external: bool = False
    #: the field is `@external` (for an interface field: in some implementation)
    external: bool = False

    @property
    def is_leaf(self) -> bool:
        return self.node.selection_set is None


def is_external(subgraph: Subgraph, parent: str, name: str) -> bool:
    """Whether the field is external; interface fields cannot carry `@external`, so an
    interface field counts as external when some implementation's field is."""
    f = subgraph.field(parent, name)
    if f is None:
        return False
    if f.external:
        return True
    t = subgraph.types.get(parent)
    if t is None or t.kind != "interface":
        return False
    return any(
        (g := subgraph.field(impl, name)) is not None and g.external
        for impl in subgraph.implementations(parent)
    )


def parse_field_set(text: str) -> SelectionSetNode:
    try:
        document = parse("{" + text + "}", no_location=True)
    except GraphQLSyntaxError as exc:
        raise FieldSetSyntaxError(exc.message) from exc
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    return operation.selection_set


def walk(
    subgraph: Subgraph,
    parent: str,
    selection: SelectionSetNode,
    depth: int = 0,
    under_external: bool = False,
) -> Iterator[Selected]:
    """Every field a field set selects, depth first; unknown fields have `definition=None`."""
    for node in selection.selections:
        if isinstance(node, FieldNode):
            name = node.name.value
            definition = subgraph.field(parent, name) if name != "__typename" else None
            external = is_external(subgraph, parent, name)
            yield Selected(parent, name, definition, node, depth, under_external, external)
            if node.selection_set is not None and definition is not None:
                yield from walk(
                    subgraph,
                    named_type(definition.type),
                    node.selection_set,
                    depth + 1,
                    under_external or external,
                )
        elif isinstance(node, InlineFragmentNode):
            target = node.type_condition.name.value if node.type_condition else parent
            yield from walk(subgraph, target, node.selection_set, depth, under_external)


def normalize(text: str) -> str:
    """The field set re-printed on one line, as supergraphs carry it."""
    return " ".join(text.split())
