"""Fetch groups: the planner's working form of a fetch, before it is frozen into a plan."""

from __future__ import annotations

from dataclasses import dataclass, field

from router.planner.plan import OperationKind, RequiredField, RequiredSelection
from router.planner.selection import SelNode

__all__ = ["Group", "ReqEntry", "ReqTree", "freeze_tree", "merge_tree"]


@dataclass(slots=True)
class ReqEntry:
    """Where one required field is read from (`key`) and what to read below it."""

    key: str
    sub: dict[str | None, ReqTree] | None = None


ReqTree = dict[str, ReqEntry]


def merge_tree(into: ReqTree, other: ReqTree) -> None:
    for name, entry in other.items():
        mine = into.get(name)
        if mine is None:
            into[name] = ReqEntry(entry.key, _copy_sub(entry.sub))
            continue
        if entry.sub is not None:
            if mine.sub is None:
                mine.sub = {}
            for cond, tree in entry.sub.items():
                merge_tree(mine.sub.setdefault(cond, {}), tree)


def _copy_sub(sub: dict[str | None, ReqTree] | None) -> dict[str | None, ReqTree] | None:
    if sub is None:
        return None
    out: dict[str | None, ReqTree] = {}
    for cond, tree in sub.items():
        merge_tree(out.setdefault(cond, {}), tree)
    return out


def freeze_tree(tree: ReqTree) -> tuple[RequiredField, ...]:
    out = []
    for name, e in tree.items():
        sels = None
        if e.sub is not None:
            sels = tuple(
                RequiredSelection(type_condition=cond, fields=freeze_tree(t))
                for cond, t in e.sub.items()
            )
        out.append(RequiredField(name=name, key=e.key, selections=sels))
    return tuple(out)


@dataclass(eq=False, slots=True)
class Group:
    """One future fetch: a subgraph, where its result lands, and what it selects."""

    id: int
    graph: str
    kind: OperationKind
    path: tuple[str, ...] | None  # None for a root fetch
    root_index: int
    sel: SelNode = field(default_factory=SelNode)
    #: type condition -> (typename to send, fields to copy), for entity fetches
    requires: dict[str, tuple[str, ReqTree]] = field(default_factory=dict)
    deps: set[Group] = field(default_factory=set)
    allowed_requires: set[tuple[str, str]] = field(default_factory=set)
    drop_typename: bool = False
    #: the part of the plan this fetch belongs to: 0 primary, else a deferred fragment's id
    defer_id: int = 0
    #: (fragment type or None at the root, response key) of the fields the client asked for
    client_fields: set[tuple[str | None, str]] = field(default_factory=set)
    #: (type condition, field) of the `@requires` inputs among `requires`
    requires_inputs: set[tuple[str | None, str]] = field(default_factory=set)

    def add_requirement(self, on: str, typename: str, tree: ReqTree) -> None:
        cur = self.requires.get(on)
        if cur is None:
            self.requires[on] = (typename, {})
            cur = self.requires[on]
        merge_tree(cur[1], tree)

    def depends_on(self, other: Group) -> bool:
        """Whether this group (transitively) waits for `other`."""
        seen: set[int] = set()
        stack = [self]
        while stack:
            g = stack.pop()
            if g is other:
                return True
            if g.id in seen:
                continue
            seen.add(g.id)
            stack.extend(g.deps)
        return False
