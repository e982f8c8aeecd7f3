"""Freeze fetch groups into a `QueryPlan` (Sequence / Parallel / Flatten / Fetch).

Groups are partitioned by `defer_id`: part 0 is the primary plan, every other
part the sub-plan of one deferred fragment (a `Defer` node). A subscription's
root group becomes the `Subscription` node's primary fetch; the rest of its
groups run on every event.
"""

from __future__ import annotations

from collections.abc import Iterable

from router.planner.defer import DeferInfo
from router.planner.groups import Group, freeze_tree
from router.planner.plan import (
    Defer,
    DeferredNode,
    Fetch,
    FetchField,
    Flatten,
    OperationKind,
    Parallel,
    PlanNode,
    QueryPlan,
    RequiredSelection,
    Sequence,
    Subscription,
)
from router.planner.selection import SelNode, assign_wire_keys, print_selection, renames
from router.supergraph.model import Supergraph

__all__ = ["assemble_plan", "wrap_nodes"]


def _fills(g: Group) -> tuple[FetchField, ...]:
    """The fields `g` fills at its position, in the order the operation selects them.

    At an entity position they sit in fragments, at the root directly;
    `__typename` is left out (the shaper answers it).
    """
    out: list[FetchField] = []
    places: list[tuple[str | None, SelNode]] = [(None, g.sel)]
    places.extend(g.sel.fragments.items())
    for cond, node in places:
        for key, f in node.fields.items():
            if f.name != "__typename":
                out.append(FetchField(cond, f.name, key, (cond, key) in g.client_fields))
    return tuple(out)


def _fetch(sg: Supergraph, g: Group, var_types: dict[str, str]) -> PlanNode:
    rn = renames(g.sel) if assign_wire_keys(g.sel) else None
    used: set[str] = set()
    g.sel.collect_variables(used)
    decls = [f"${v}: {var_types[v]}" for v in sorted(used) if v in var_types]
    service = sg.subgraphs[g.graph].name
    if g.path is None:
        head = g.kind + (f"({', '.join(decls)})" if decls else "")
        text = f"{head} {print_selection(g.sel)}"
        return Fetch(g.id, service, text, g.kind, tuple(sorted(used)), renames=rn, fills=_fills(g))
    decls.insert(0, "$representations: [_Any!]!")
    text = (
        f"query({', '.join(decls)}) "
        f"{{ _entities(representations: $representations) {print_selection(g.sel)} }}"
    )
    requires = tuple(
        RequiredSelection(type_condition=on, fields=freeze_tree(tree), typename=typename)
        for on, (typename, tree) in g.requires.items()
    )
    fetch = Fetch(
        g.id,
        service,
        text,
        "query",
        tuple(sorted(used)),
        requires,
        drop_typename=g.drop_typename,
        renames=rn,
        fills=_fills(g),
        requires_inputs=frozenset(g.requires_inputs),
    )
    return Flatten(g.path, fetch)


def wrap_nodes(kind: type[Sequence] | type[Parallel], nodes: list[PlanNode]) -> PlanNode | None:
    if not nodes:
        return None
    if len(nodes) == 1:
        return nodes[0]
    return kind(tuple(nodes))


def _levels(groups: Iterable[Group]) -> list[list[Group]]:
    groups = list(groups)
    members = {g.id for g in groups}
    level: dict[int, int] = {}

    def depth(g: Group, stack: frozenset[int]) -> int:
        if g.id in level:
            return level[g.id]
        d = 0
        for dep in g.deps:
            if dep.id in members and dep is not g and dep.id not in stack:
                d = max(d, depth(dep, stack | {g.id}) + 1)
        level[g.id] = d
        return d

    for g in groups:
        depth(g, frozenset())
    out: list[list[Group]] = []
    for g in sorted(groups, key=lambda g: (level[g.id], g.id)):
        while len(out) <= level[g.id]:
            out.append([])
        out[level[g.id]].append(g)
    return out


def _staged(sg: Supergraph, groups: list[Group], var_types: dict[str, str]) -> PlanNode | None:
    stages = [
        wrap_nodes(Parallel, [_fetch(sg, g, var_types) for g in lvl]) for lvl in _levels(groups)
    ]
    return wrap_nodes(Sequence, [s for s in stages if s is not None])


def _primary(
    sg: Supergraph, kind: OperationKind, groups: list[Group], var_types: dict[str, str]
) -> PlanNode | None:
    if kind == "subscription":
        roots = [g for g in groups if g.path is None]
        if len(roots) != 1:
            return _staged(sg, groups, var_types)
        primary = _fetch(sg, roots[0], var_types)
        assert isinstance(primary, Fetch)
        rest = _staged(sg, [g for g in groups if g.path is not None], var_types)
        return Subscription(primary, rest)
    if kind != "mutation":
        return _staged(sg, groups, var_types)
    by_root: dict[int, list[Group]] = {}
    for g in groups:
        by_root.setdefault(g.root_index, []).append(g)
    parts = [_staged(sg, by_root[i], var_types) for i in sorted(by_root)]
    return wrap_nodes(Sequence, [p for p in parts if p is not None])


def assemble_plan(
    sg: Supergraph,
    kind: OperationKind,
    groups: list[Group],
    var_types: dict[str, str],
    defers: list[DeferInfo] | None = None,
) -> QueryPlan:
    groups = [g for g in groups if g.path is None or not g.sel.is_empty()]
    parts: dict[int, list[Group]] = {}
    for g in groups:
        parts.setdefault(g.defer_id, []).append(g)
    primary = _primary(sg, kind, parts.get(0, []), var_types)
    if not defers:
        return QueryPlan(primary, kind)
    deferred = tuple(
        DeferredNode(
            id=d.id,
            depends=d.parent,
            label=d.label,
            path=d.path,
            type_name=d.type_name,
            subselection=d.subselection,
            node=_staged(sg, parts.get(d.id, []), var_types),
        )
        for d in defers
    )
    return QueryPlan(Defer(primary, deferred), kind)
