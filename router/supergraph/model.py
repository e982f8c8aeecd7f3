"""The join metadata of a supergraph, as plain lookup tables.

The planner asks questions such as "which subgraphs resolve `User.name`?" or
"which keys does subgraph B accept for `Product`?"; this module answers them
from tables built once when the supergraph is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    SelectionSetNode,
)

__all__ = ["FieldJoin", "Key", "Subgraph", "Supergraph"]


@dataclass(frozen=True, slots=True)
class Subgraph:
    """One `join__Graph` value: its enum name, its subgraph name and URL."""

    enum_name: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class FieldJoin:
    """One `@join__field` application (or the implicit one of a field without any)."""

    graph: str
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    used_overridden: bool = False


@dataclass(frozen=True, slots=True)
class Key:
    """One `@join__type(key: ...)` of an entity in one subgraph."""

    graph: str
    fields: SelectionSetNode
    text: str
    resolvable: bool


@dataclass(slots=True)
class Supergraph:
    """The supergraph schema plus its join metadata, keyed by subgraph enum name."""

    schema: GraphQLSchema
    api_schema: GraphQLSchema
    sdl: str
    subgraphs: dict[str, Subgraph]
    #: type name -> graphs that declare the type (`@join__type`)
    type_graphs: dict[str, list[str]] = field(default_factory=dict)
    #: type name -> keys per graph
    keys: dict[str, list[Key]] = field(default_factory=dict)
    #: interface name -> graphs where it is an `@interfaceObject`
    interface_objects: dict[str, set[str]] = field(default_factory=dict)
    #: (type, field) -> explicit `@join__field`s; absent means every type graph
    field_joins: dict[tuple[str, str], list[FieldJoin]] = field(default_factory=dict)
    #: (graph, object or interface) -> interfaces it implements in that graph
    implements: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    #: (graph, union) -> members in that graph
    union_members: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    #: (enum, value) -> graphs that declare the value
    enum_values: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    _cache: dict[object, object] = field(default_factory=dict)

    # ------------------------------------------------------------------ types
    def has_type(self, graph: str, type_name: str) -> bool:
        return graph in self.type_graphs.get(type_name, ())

    def is_interface_object(self, graph: str, type_name: str) -> bool:
        return graph in self.interface_objects.get(type_name, ())

    def is_abstract(self, type_name: str) -> bool:
        t = self.schema.get_type(type_name)
        return isinstance(t, GraphQLInterfaceType | GraphQLUnionType)

    def possible_types(self, type_name: str) -> list[str]:
        """Object types that may stand at a position of `type_name` in the supergraph."""
        key = ("possible", type_name)
        hit = self._cache.get(key)
        if hit is None:
            t = self.schema.get_type(type_name)
            if isinstance(t, GraphQLObjectType):
                hit = [t.name]
            elif isinstance(t, GraphQLInterfaceType | GraphQLUnionType):
                hit = [o.name for o in self.schema.get_possible_types(t)]
            else:
                hit = []
            self._cache[key] = hit
        return hit  # type: ignore[return-value]

    def graph_possible_types(self, graph: str, type_name: str) -> list[str]:
        """Object types a subgraph may return at a position of `type_name`.

        For an interface seen by `graph` as an `@interfaceObject`, that is the
        interface itself (the subgraph answers with its own object type).
        """
        key = ("gpossible", graph, type_name)
        hit = self._cache.get(key)
        if hit is None:
            t = self.schema.get_type(type_name)
            if isinstance(t, GraphQLObjectType):
                hit = [type_name] if self.has_type(graph, type_name) else []
            elif isinstance(t, GraphQLUnionType):
                members = self.union_members.get((graph, type_name), set())
                hit = [o.name for o in t.types if o.name in members]
            elif isinstance(t, GraphQLInterfaceType):
                if self.is_interface_object(graph, type_name):
                    hit = [type_name]
                else:
                    hit = [
                        o.name
                        for o in self.schema.get_possible_types(t)
                        if type_name in self.implements.get((graph, o.name), ())
                        and self.has_type(graph, o.name)
                    ]
            else:
                hit = []
            self._cache[key] = hit
        return hit  # type: ignore[return-value]

    def resolvable_keys(self, graph: str, type_name: str) -> list[Key]:
        return [k for k in self.keys.get(type_name, ()) if k.graph == graph and k.resolvable]

    def graph_keys(self, graph: str, type_name: str) -> list[Key]:
        return [k for k in self.keys.get(type_name, ()) if k.graph == graph]

    # ----------------------------------------------------------------- fields
    def field_join(self, graph: str, type_name: str, field_name: str) -> FieldJoin | None:
        """The field's join record in `graph`, or None if the graph lacks it."""
        joins = self.field_joins.get((type_name, field_name))
        if joins is None:
            if self.has_type(graph, type_name):
                return FieldJoin(graph=graph)
            return None
        for j in joins:
            if j.graph == graph:
                return j
        return None

    def field_graphs(self, type_name: str, field_name: str) -> list[FieldJoin]:
        joins = self.field_joins.get((type_name, field_name))
        if joins is None:
            return [FieldJoin(graph=g) for g in self.type_graphs.get(type_name, ())]
        return [j for j in joins if j.graph]

    def interfaces_of(self, type_name: str) -> list[str]:
        t = self.schema.get_type(type_name)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            return [i.name for i in t.interfaces]
        return []
