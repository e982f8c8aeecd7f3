"""What a cached operation asks of each object type, worked out once and kept.

graphql-core collects a selection set's fields again for every request (and for every
object type a field returns within it): it walks fragments, checks type conditions,
groups fields by response name and looks each definition up. The kit's documents are
cached on the query text (`subgraphs.kit.query_cache`), so the same operation node comes
back for every request of the same query; `OperationPlan` keeps that work per operation,
field and runtime type, for `subgraphs.kit.compiled_execution` to run.

Only operations whose field collection depends on nothing but the schema get a plan
(`plannable`): no directives anywhere (`@skip`/`@include` read variables, `@defer` and
`@stream` change delivery), no introspection root fields, no fragment arguments, no
subscriptions. Everything else keeps graphql-core's own execution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)

_TYPENAME = "__typename"
_INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
_TYPENAME_TYPE = GraphQLNonNull(GraphQLString)


@dataclass(slots=True, eq=False)
class FieldPlan:
    """One response key of a selection set on one object type."""

    response_name: str
    name: str
    nodes: list[FieldNode]
    parent_type: GraphQLObjectType
    definition: GraphQLField | None  # None for __typename, answered with the type's name
    return_type: GraphQLOutputType
    has_args: bool
    # whether the resolver, `is_type_of` or `resolve_type` need a resolve info
    needs_info: bool
    # completes a resolved value for `return_type` (`Completers`, by the executor)
    complete: Any
    # the attribute the resolver would read with `getattr`: read directly instead
    attribute: str | None = None
    # the sub-selection per runtime object type, collected on first use
    children: dict[GraphQLObjectType, tuple[FieldPlan, ...]] = field(default_factory=dict)


class FieldKinds:
    """What a plan needs to know of the schema's fields: given by the executor.

    `basic(field)`: its resolver needs no resolve info. `attribute(field)`: the attribute
    its resolver reads with the builtin `getattr` and nothing else, or None.
    """

    def __init__(
        self,
        completer: Callable[[GraphQLOutputType], Any],
        basic: Callable[[GraphQLField], bool],
        attribute: Callable[[GraphQLField], str | None] | None = None,
    ) -> None:
        self.completer = completer
        self.basic = basic
        self.attribute = attribute or _no_attribute


def _no_attribute(_definition: GraphQLField) -> str | None:
    return None


class OperationPlan:
    """The fields of one operation, collected per object type on first use."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        root_type: GraphQLObjectType,
        kinds: FieldKinds,
    ) -> None:
        self.schema = schema
        self.kinds = kinds
        self.operation = operation
        self.fragments = fragments
        self.root_type = root_type
        self.root_fields = self.collect(root_type, [operation.selection_set])

    def subfields(self, parent: FieldPlan, object_type: GraphQLObjectType) -> tuple[FieldPlan, ...]:
        """The fields `parent`'s selection asks of a value of `object_type`."""
        fields = parent.children.get(object_type)
        if fields is None:
            fields = self.collect(
                object_type, [n.selection_set for n in parent.nodes if n.selection_set]
            )
            parent.children[object_type] = fields
        return fields

    def collect(
        self, object_type: GraphQLObjectType, selection_sets: list[SelectionSetNode]
    ) -> tuple[FieldPlan, ...]:
        """Group the selections by response name, as the spec's CollectFields does."""
        groups: dict[str, list[FieldNode]] = {}
        visited: set[str] = set()

        def visit(selection_set: SelectionSetNode) -> None:
            for selection in selection_set.selections:
                if isinstance(selection, FieldNode):
                    key = selection.alias.value if selection.alias else selection.name.value
                    groups.setdefault(key, []).append(selection)
                elif isinstance(selection, InlineFragmentNode):
                    if self._applies(selection.type_condition, object_type):
                        visit(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    name = selection.name.value
                    if name in visited:
                        continue
                    fragment = self.fragments.get(name)
                    if fragment is None or not self._applies(fragment.type_condition, object_type):
                        continue
                    visited.add(name)
                    visit(fragment.selection_set)

        for selection_set in selection_sets:
            visit(selection_set)
        plans = []
        for key, nodes in groups.items():
            plan = self._field(object_type, key, nodes, self.kinds)
            if plan is not None:
                plans.append(plan)
        return tuple(plans)

    def _applies(self, condition: NamedTypeNode | None, object_type: GraphQLObjectType) -> bool:
        if condition is None:
            return True
        conditional = self.schema.get_type(condition.name.value)
        if conditional is object_type:
            return True
        if conditional is not None and is_abstract_type(conditional):
            return self.schema.is_sub_type(conditional, object_type)
        return False

    @staticmethod
    def _field(
        object_type: GraphQLObjectType, key: str, nodes: list[FieldNode], kinds: FieldKinds
    ) -> FieldPlan | None:
        name = nodes[0].name.value
        if name == _TYPENAME:
            return FieldPlan(
                key, name, nodes, object_type, None, _TYPENAME_TYPE, False, False, None
            )
        definition = object_type.fields.get(name)
        if definition is None:  # not on this type: graphql-core leaves the key out too
            return None
        return_type = definition.type
        has_args = bool(definition.args) or bool(nodes[0].arguments)
        named = get_named_type(return_type)
        needs_info = (
            has_args
            or not kinds.basic(definition)
            or is_abstract_type(named)
            or (isinstance(named, GraphQLObjectType) and named.is_type_of is not None)
        )
        return FieldPlan(
            key,
            name,
            nodes,
            object_type,
            definition,
            return_type,
            has_args,
            needs_info,
            kinds.completer(return_type),
            None if has_args else kinds.attribute(definition),
        )


def plannable(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> bool:
    """Does this operation's field collection depend on the schema alone?"""
    if operation.operation not in (OperationType.QUERY, OperationType.MUTATION):
        return False
    if operation.directives:
        return False
    seen: set[tuple[str, bool]] = set()
    # (selection set, whether its fields are the operation's root fields)
    stack: list[tuple[SelectionSetNode, bool]] = [(operation.selection_set, True)]
    while stack:
        selection_set, root = stack.pop()
        for selection in selection_set.selections:
            if selection.directives:
                return False
            if isinstance(selection, FieldNode):
                if root and selection.name.value in _INTROSPECTION_ROOTS:
                    return False
                if selection.selection_set is not None:
                    stack.append((selection.selection_set, False))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, root))
            elif isinstance(selection, FragmentSpreadNode):
                if _arguments(selection):
                    return False
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None:
                    continue
                if fragment.directives or _arguments_defined(fragment):
                    return False
                if (name, root) not in seen:
                    seen.add((name, root))
                    stack.append((fragment.selection_set, root))
    return True


def _arguments(spread: Any) -> bool:
    return bool(getattr(spread, "arguments", None))


def _arguments_defined(fragment: Any) -> bool:
    return bool(getattr(fragment, "variable_definitions", None))
