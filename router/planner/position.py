"""A position in the planner's walk: where a fetch group writes and what it can resolve."""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import ArgumentNode, FieldNode, GraphQLList, GraphQLNonNull, SelectionSetNode

from router.planner.groups import Group
from router.planner.operation import Collected
from router.planner.selection import SelNode

__all__ = ["PlanningError", "Pos", "Want", "list_depth", "strip_condition"]


class PlanningError(Exception):
    """The operation cannot be planned over this supergraph."""


@dataclass(slots=True)
class Want:
    key: str
    name: str
    args: tuple[ArgumentNode, ...]
    subsets: list[SelectionSetNode]
    internal: bool
    nodes: tuple[FieldNode, ...] = ()


@dataclass(slots=True)
class Pos:
    group: Group
    sel: SelNode
    path: tuple[str, ...]
    type_name: str  # supergraph type (an interface for an interface-object position)
    graph_type: str  # the type's name in the group's subgraph
    provided: list[SelectionSetNode] | None
    client: Collected | None
    entity_root: bool = False
    exclude: frozenset[str] = field(default_factory=frozenset)
    #: the position and field this position was reached through (None at the root)
    parent: tuple[Pos, Want] | None = None
    #: other subgraphs that could resolve this position too (through an entity hop)
    alts: frozenset[str] = field(default_factory=frozenset)


def list_depth(t: object) -> int:
    depth = 0
    while True:
        if isinstance(t, GraphQLNonNull):
            t = t.of_type
        elif isinstance(t, GraphQLList):
            depth += 1
            t = t.of_type
        else:
            return depth


def strip_condition(path: tuple[str, ...]) -> tuple[str, ...]:
    while path and path[-1].startswith("|"):
        path = path[:-1]
    return path
