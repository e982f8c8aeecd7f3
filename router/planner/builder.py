"""Turn one client operation into fetch groups (the heart of the planner).

The walk follows the operation from its root. At every position it knows the
fetch group writing there (one subgraph), the concrete type, and what that
subgraph can resolve at that position (its own fields plus what an enclosing
`@provides` promised). A field the subgraph cannot resolve is fetched by an
entity group to another subgraph, after the key (and, for `@requires`, the
required fields) have been placed, which may itself create groups: `@requires`
chains therefore order themselves, whatever the root type.
"""

from __future__ import annotations

import hashlib

from graphql import (
    FieldNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLObjectType,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
)

from router.planner.defer import DeferPlanner
from router.planner.groups import Group, ReqEntry, ReqTree, merge_tree
from router.planner.operation import Collected, OperationContext, sub_selections
from router.planner.plan import OperationKind
from router.planner.position import PlanningError, Pos, Want, list_depth, strip_condition
from router.planner.selection import SelNode, args_text, variables_in
from router.supergraph.model import FieldJoin, Key, Supergraph

__all__ = ["GroupBuilder", "PlanningError"]


class GroupBuilder:
    """Builds the fetch groups of one operation; used once."""

    def __init__(self, sg: Supergraph, ctx: OperationContext) -> None:
        self.sg = sg
        self.ctx = ctx
        self.groups: list[Group] = []
        self.roots: list[Group] = []
        self.root_index = 0
        self.in_progress: set[tuple[object, ...]] = set()
        self.entity_groups: dict[tuple[str, tuple[str, ...], int, int], list[Group]] = {}
        #: the plan part new root groups belong to (0 primary, else a deferred fragment)
        self.defer_id = 0
        self.kind: OperationKind = "query"
        self.root_type = "Query"
        self.defer = DeferPlanner(self)

    # ------------------------------------------------------------------ roots
    def build(
        self, kind: OperationKind, root_type: str, selection: SelectionSetNode
    ) -> list[Group]:
        self.kind = kind
        self.root_type = root_type
        fields = self.ctx.collect([selection], root_type)
        if kind == "subscription" and len(fields) != 1:
            raise PlanningError("a subscription selects exactly one root field")
        self.plan_root_fields(fields, self.ctx.collect([selection], root_type, True))
        self.defer.register_root(selection)
        self.defer.plan_pending()
        if kind == "subscription" and len(self.roots) > 1:
            raise PlanningError("a subscription is served by one subgraph stream")
        return self.groups

    def plan_root_fields(self, fields: Collected, client: Collected) -> None:
        kind, root_type = self.kind, self.root_type
        for key, nodes in fields.items():
            name = nodes[0].name.value
            if name.startswith("__"):
                continue
            w = self._want(key, nodes, internal=False)
            graph = self._choose_root_graph(kind, root_type, w)
            group = self._root_group(kind, graph)
            pos = Pos(group, group.sel, (), root_type, root_type, None, client)
            self._plan_local(pos, w)

    def _choose_root_graph(
        self, kind: OperationKind, root_type: str, w: Want, exclude: str | None = None
    ) -> str:
        cands = [
            fj
            for fj in self.sg.field_graphs(root_type, w.name)
            if not fj.external
            and not fj.used_overridden
            and fj.graph in self.sg.subgraphs
            and fj.graph != exclude
        ]
        if not cands:
            raise PlanningError(f"no subgraph resolves {root_type}.{w.name}")
        roots = [r for r in self.roots if r.defer_id == self.defer_id]
        last = roots[-1].graph if roots else None

        def score(fj: FieldJoin) -> tuple[int, int]:
            fdef = self._field_def(root_type, w.name)
            provided = [fj.provides] if fj.provides is not None else None
            miss = self._misses(fj.graph, get_named_type(fdef.type).name, w.subsets, 3, provided)
            if kind == "mutation":
                existing = fj.graph == last
            else:
                existing = any(r.graph == fj.graph for r in roots)
            return (miss, 0 if existing else 1)

        return min(cands, key=score).graph

    def _root_group(self, kind: OperationKind, graph: str) -> Group:
        roots = [r for r in self.roots if r.defer_id == self.defer_id]
        if kind == "mutation":
            if roots and roots[-1].graph == graph:
                return roots[-1]
        else:
            for r in roots:
                if r.graph == graph:
                    self.root_index = r.root_index
                    return r
        g = self._new_group(graph, kind, None)
        g.root_index = len(self.roots)
        self.root_index = g.root_index
        self.roots.append(g)
        return g

    def _new_group(self, graph: str, kind: OperationKind, path: tuple[str, ...] | None) -> Group:
        g = Group(
            id=len(self.groups),
            graph=graph,
            kind=kind,
            path=path,
            root_index=self.root_index,
            defer_id=self.defer_id,
        )
        self.groups.append(g)
        return g

    # ---------------------------------------------------------------- helpers
    def _want(self, key: str, nodes: list[FieldNode], internal: bool) -> Want:
        n = nodes[0]
        return Want(
            key,
            n.name.value,
            tuple(n.arguments or ()),
            sub_selections(nodes),
            internal,
            tuple(nodes),
        )

    def _field_def(self, type_name: str, field_name: str) -> GraphQLField:
        t = self.sg.schema.get_type(type_name)
        if isinstance(t, GraphQLObjectType | GraphQLInterfaceType):
            f: GraphQLField | None = t.fields.get(field_name)
            if f is not None:
                return f
        raise PlanningError(f"unknown field {type_name}.{field_name}")

    def _provided_names(self, pos: Pos) -> Collected:
        if not pos.provided:
            return {}
        return self.ctx.collect(pos.provided, pos.type_name)

    def _local(self, pos: Pos, name: str) -> bool:
        """Whether the position's subgraph resolves `name` right here."""
        if name == "__typename":
            return True
        fj = self.sg.field_join(pos.group.graph, pos.graph_type, name)
        if fj is None or fj.used_overridden:
            return False
        if fj.external:
            return name in self._provided_names(pos)
        if fj.requires is not None:
            return pos.entity_root and (pos.graph_type, name) in pos.group.allowed_requires
        return True

    def _local_selection(
        self,
        graph: str,
        type_name: str,
        ss: SelectionSetNode,
        provided: Collected | None = None,
    ) -> bool:
        """Whether `graph` resolves a whole field set (a key) on `type_name` by itself."""
        for sel in ss.selections:
            if isinstance(sel, FieldNode):
                name = sel.name.value
                if name == "__typename":
                    continue
                fj = self.sg.field_join(graph, type_name, name)
                if fj is None or fj.used_overridden or fj.requires is not None:
                    return False
                if fj.external and not (provided and name in provided):
                    return False
                if sel.selection_set is not None:
                    child = get_named_type(self._field_def(type_name, name).type).name
                    if not self._local_selection(graph, child, sel.selection_set):
                        return False
            else:
                cond = getattr(sel, "type_condition", None)
                tname = cond.name.value if cond else type_name
                sub = getattr(sel, "selection_set", None)
                if sub is not None and not self._local_selection(graph, tname, sub):
                    return False
        return True

    def _misses(
        self,
        graph: str,
        type_name: str,
        subsets: list[SelectionSetNode],
        depth: int,
        provided: list[SelectionSetNode] | None = None,
    ) -> int:
        """How many selected fields `graph` cannot resolve below a field of `type_name`."""
        if depth == 0 or not subsets:
            return 0
        n = 0
        types = (
            self.sg.graph_possible_types(graph, type_name)
            if self.sg.is_abstract(type_name) and not self.sg.is_interface_object(graph, type_name)
            else [type_name]
        )
        for t in types:
            have = self.ctx.collect(provided, t) if provided else {}
            for nodes in self.ctx.collect(subsets, t).values():
                name = nodes[0].name.value
                if name == "__typename":
                    continue
                fj = self.sg.field_join(graph, t, name)
                if fj is None or fj.used_overridden or fj.requires is not None:
                    n += 1
                    continue
                if fj.external and name not in have:
                    n += 1
                    continue
                fdef = self._field_def(t, name)
                child = get_named_type(fdef.type).name
                sub_provided = sub_selections(have.get(name, []))
                if fj.provides is not None:
                    sub_provided.append(fj.provides)
                n += self._misses(
                    graph, child, sub_selections(nodes), depth - 1, sub_provided or None
                )
        return n

    # ----------------------------------------------------------------- fields
    def plan_field(self, pos: Pos, w: Want) -> tuple[set[Group], ReqEntry]:
        if w.internal and not w.args and pos.entity_root:
            have = self._available(pos, w.name)
            if have is not None:
                return set(pos.group.deps), have
        if self._local(pos, w.name):
            return self._plan_local(pos, w)
        return self._plan_remote(pos, w)

    def _place(self, pos: Pos, w: Want, composite: bool) -> str:
        args = args_text(w.args)
        key = w.key
        if w.internal:
            clash = pos.sel.conflicts(key, w.name, args)
            if not clash and pos.client is not None and key in pos.client:
                cn = pos.client[key][0]
                clash = cn.name.value != w.name or args_text(cn.arguments) != args
            if clash:
                digest = hashlib.sha1(f"{w.name}{args}".encode()).hexdigest()[:8]
                key = f"_{w.name}_{digest}"
        variables: set[str] = set()
        variables_in(w.args, variables)
        type_str = "String!"
        if w.name != "__typename":
            fj = self.sg.field_join(pos.group.graph, pos.graph_type, w.name)
            type_str = fj.type if fj is not None and fj.type else ""
            if not type_str:
                type_str = str(self._field_def(pos.type_name, w.name).type)
        pos.sel.add_field(key, w.name, args, frozenset(variables), composite, type_str)
        if not w.internal:
            if pos.entity_root:
                pos.group.client_fields.add((pos.graph_type, key))
            elif pos.group.path is None and not pos.path:
                pos.group.client_fields.add((None, key))
        return key

    def _plan_local(self, pos: Pos, w: Want) -> tuple[set[Group], ReqEntry]:
        if w.name == "__typename":
            key = self._place(pos, w, composite=False)
            return {pos.group}, ReqEntry(key)
        fdef = self._field_def(pos.type_name, w.name)
        named = get_named_type(fdef.type)
        composite = not is_leaf_type(named)
        key = self._place(pos, w, composite)
        if not composite:
            return {pos.group}, ReqEntry(key)
        fs = pos.sel.fields[key]
        assert fs.sub is not None
        provided: list[SelectionSetNode] = []
        if pos.provided:
            provided.extend(sub_selections(self._provided_names(pos).get(w.name, [])))
        fj = self.sg.field_join(pos.group.graph, pos.graph_type, w.name)
        if fj is not None and fj.provides is not None:
            provided.append(fj.provides)
        path = pos.path + (key,) + ("@",) * list_depth(fdef.type)
        graph_named = named.name
        if fj is not None and fj.type:
            graph_named = fj.type.replace("[", "").replace("]", "").replace("!", "").strip()
        groups, sub = self.plan_selection(
            pos.group,
            fs.sub,
            path,
            named.name,
            w.subsets,
            provided or None,
            w.internal,
            parent=(pos, w),
            alts=self._child_alts(pos, w.name),
            graph_type=graph_named,
        )
        return groups | {pos.group}, ReqEntry(key, sub)

    def _resolves(self, graph: str, type_name: str, name: str) -> bool:
        fj = self.sg.field_join(graph, type_name, name)
        return fj is not None and not fj.external and not fj.used_overridden

    def _child_alts(self, pos: Pos, name: str) -> frozenset[str]:
        """Subgraphs other than this one that could resolve the field's value too.

        Below a shareable field reachable through an entity, only union or
        interface members that all those subgraphs know are safe to select.
        """
        graph = pos.group.graph
        t = pos.type_name
        out = {g for g in pos.alts if self._resolves(g, t, name)}
        if t in self.sg.keys:
            for fj in self.sg.field_graphs(t, name):
                g = fj.graph
                if (
                    g != graph
                    and g in self.sg.subgraphs
                    and not fj.external
                    and not fj.used_overridden
                    and self.sg.resolvable_keys(g, t)
                ):
                    out.add(g)
        out.discard(graph)
        return frozenset(out)

    # ------------------------------------------------------------- selections
    def plan_selection(
        self,
        group: Group,
        sel: SelNode,
        path: tuple[str, ...],
        type_name: str,
        subsets: list[SelectionSetNode],
        provided: list[SelectionSetNode] | None,
        internal: bool,
        exclude: frozenset[str] = frozenset(),
        parent: tuple[Pos, Want] | None = None,
        alts: frozenset[str] = frozenset(),
        graph_type: str | None = None,
    ) -> tuple[set[Group], dict[str | None, ReqTree]]:
        graph = group.graph
        if not self.sg.is_abstract(type_name):
            fields = self.ctx.collect(subsets, type_name)
            client = None if internal else self.ctx.collect(subsets, type_name, True)
            pos = Pos(group, sel, path, type_name, type_name, provided, client)
            pos.parent = parent
            pos.alts = alts
            found, tree = self._plan_fields(pos, fields, internal, exclude)
            if not internal:
                self.defer.register(pos, subsets)
            return found, {None: tree}
        if self.sg.is_interface_object(graph, type_name):
            return self._plan_interface_object(
                group, sel, path, type_name, subsets, provided, internal, parent
            )
        sel.add_field("__typename", "__typename", "", frozenset(), False)
        groups: set[Group] = {group}
        out: dict[str | None, ReqTree] = {}
        if graph_type and graph_type != type_name and not self.sg.is_abstract(graph_type):
            possible = [graph_type]
        else:
            possible = self.sg.graph_possible_types(graph, graph_type or type_name)
        for alt in alts:
            theirs = self.sg.graph_possible_types(alt, type_name)
            possible = [t for t in possible if t in theirs]
        if not possible:
            for nodes in self.ctx.collect(subsets, type_name).values():
                name = nodes[0].name.value
                fj = self.sg.field_join(graph, type_name, name)
                if name != "__typename" and (fj is None or fj.external):
                    raise PlanningError(f"no subgraph can resolve {type_name}.{name} here")
        for t in possible:
            fields = self.ctx.collect(subsets, t)
            deferred = not internal and bool(self.ctx.deferred_fragments(subsets, t))
            if not fields and not deferred:
                continue
            pos = Pos(
                group,
                sel.fragment(t),
                (*path, "|" + t),
                t,
                t,
                provided,
                None if internal else self.ctx.collect(subsets, t, True),
            )
            pos.parent = parent
            pos.alts = alts
            g, tree = self._plan_fields(pos, fields, internal, exclude)
            if deferred:
                self.defer.register(pos, subsets)
            groups |= g
            tree.setdefault("__typename", ReqEntry("__typename"))
            out[t] = tree
        return groups, out

    def _plan_fields(
        self, pos: Pos, fields: Collected, internal: bool, exclude: frozenset[str] = frozenset()
    ) -> tuple[set[Group], ReqTree]:
        groups: set[Group] = set()
        tree: ReqTree = {}
        pos.exclude = exclude
        for key, nodes in fields.items():
            if key in exclude:
                continue
            w = self._want(key, nodes, internal)
            g, entry = self.plan_field(pos, w)
            groups |= g
            tree[nodes[0].name.value] = entry
        return groups, tree

    def plan_fields_at(self, pos: Pos, fields: Collected) -> tuple[set[Group], ReqTree]:
        """Plan client fields at a position (deferred fragments)."""
        return self._plan_fields(pos, fields, False)

    def key_direct(self, pos: Pos, key: Key) -> bool:
        return self._key_direct(pos, key)

    def misses(self, graph: str, type_name: str, subsets: list[SelectionSetNode]) -> int:
        return self._misses(graph, type_name, subsets, 2)

    def replan_interface_object(self, pos: Pos, ss: SelectionSetNode) -> None:
        """Plan more client fields at an `@interfaceObject` position (deferred fragments)."""
        self._plan_interface_object(
            pos.group, pos.sel, pos.path, pos.type_name, [ss], pos.provided, False, pos.parent
        )

    def plan_internal(self, pos: Pos, ss: SelectionSetNode) -> tuple[set[Group], ReqTree]:
        fields = self.ctx.collect([ss], pos.type_name)
        inner = Pos(
            pos.group,
            pos.sel,
            pos.path,
            pos.type_name,
            pos.graph_type,
            pos.provided,
            pos.client,
            pos.entity_root,
        )
        inner.parent = pos.parent
        return self._plan_fields(inner, fields, True)

    # --------------------------------------------------------- interface objects
    def _plan_interface_object(
        self,
        group: Group,
        sel: SelNode,
        path: tuple[str, ...],
        iface: str,
        subsets: list[SelectionSetNode],
        provided: list[SelectionSetNode] | None,
        internal: bool,
        parent: tuple[Pos, Want] | None,
    ) -> tuple[set[Group], dict[str | None, ReqTree]]:
        """A subgraph sees `iface` as an object: it cannot tell the concrete type."""
        level = self.ctx.collect(subsets, iface)
        client = None if internal else self.ctx.collect(subsets, iface, True)
        pos = Pos(group, sel, path, iface, iface, provided, client)
        pos.parent = parent
        if not internal:
            self.defer.register(pos, subsets)
        sel.add_field("__typename", "__typename", "", frozenset(), False, "String!")
        needs_type = self.ctx.has_type_specific(subsets, iface) or any(
            nodes[0].name.value == "__typename" for nodes in level.values()
        )
        groups: set[Group] = {group}
        tree: ReqTree = {}
        placed: set[str] = set()
        for key, nodes in level.items():
            name = nodes[0].name.value
            if name == "__typename":
                continue
            if self._local(pos, name) or not needs_type:
                w = self._want(key, nodes, internal)
                g, entry = self.plan_field(pos, w)
                groups |= g
                tree[name] = entry
                if nodes[0].selection_set is None:
                    placed.add(key)
        if not needs_type:
            return groups, {None: tree}
        # Resolve the concrete type through a subgraph where the interface is an entity.
        best: tuple[str, Key] | None = None
        for g_name in self.sg.type_graphs.get(iface, ()):
            if self.sg.is_interface_object(g_name, iface):
                continue
            for k in self.sg.resolvable_keys(g_name, iface):
                if self._local_selection(group.graph, iface, k.fields):
                    best = (g_name, k)
                    break
            if best:
                break
        if best is None:
            raise PlanningError(f"cannot resolve the concrete type of {iface}")
        x, type_key = best
        key_groups, key_tree = self.plan_internal(pos, type_key.fields)
        key_tree.setdefault("__typename", ReqEntry("__typename"))
        pos.sel.add_field("__typename", "__typename", "", frozenset(), False)
        child = self._entity_group(pos, x, iface, key_tree, key_groups | {group})
        child_sel = child.sel.fragment(iface)
        g, sub = self.plan_selection(
            child, child_sel, path, iface, subsets, None, internal, frozenset(placed), parent
        )
        groups |= g | key_groups
        out: dict[str | None, ReqTree] = {None: tree}
        for cond, t in sub.items():
            if cond is None:
                merge_tree(tree, t)
            else:
                out[cond] = t
        return groups, out

    # ---------------------------------------------------------------- remote
    def _sources(self, type_name: str, name: str) -> list[tuple[str, str, FieldJoin]]:
        out = []
        for fj in self.sg.field_graphs(type_name, name):
            if fj.external or fj.used_overridden or fj.graph not in self.sg.subgraphs:
                continue
            out.append((fj.graph, type_name, fj))
        for iface in self.sg.interfaces_of(type_name):
            for g in sorted(self.sg.interface_objects.get(iface, ())):
                ij = self.sg.field_join(g, iface, name)
                if ij is not None and not ij.external and g in self.sg.subgraphs:
                    out.append((g, iface, ij))
        return out

    def _plan_remote(
        self, pos: Pos, w: Want, exclude: str | None = None
    ) -> tuple[set[Group], ReqEntry]:
        guard = (pos.group.id, pos.path, pos.type_name, w.name, args_text(w.args), exclude)
        if guard in self.in_progress:
            raise PlanningError(f"cannot plan {pos.type_name}.{w.name}: circular dependency")
        parent = pos.group
        best: tuple[tuple[int, ...], str, str, FieldJoin, Key] | None = None
        fdef = self._field_def(pos.type_name, w.name)
        child_type = get_named_type(fdef.type).name
        for order, (g, as_type, fj) in enumerate(self._sources(pos.type_name, w.name)):
            if g == parent.graph and fj.requires is None and as_type == pos.graph_type:
                continue
            if g == exclude:
                continue
            existing = bool(
                self.entity_groups.get(
                    (g, strip_condition(pos.path), parent.root_index, parent.defer_id)
                )
            )
            misses = self._misses(
                g, child_type, w.subsets, 2, [fj.provides] if fj.provides is not None else None
            )
            for key in self.sg.resolvable_keys(g, as_type):
                direct = self._key_direct(pos, key)
                score = (
                    0 if direct else 1,
                    0 if fj.requires is None else 1,
                    misses,
                    0 if existing else 1,
                    order,
                )
                if best is None or score < best[0]:
                    best = (score, g, as_type, fj, key)
        if (best is None or best[0][0] == 1) and self._parent_feasible(pos):
            return self._plan_via_parent(pos, w)
        if best is None:
            raise PlanningError(f"no subgraph can resolve {pos.type_name}.{w.name} here")
        _, g, as_type, fj, key = best
        self.in_progress.add(guard)
        try:
            key_groups, key_tree = self.plan_internal(pos, key.fields)
            pos.sel.add_field("__typename", "__typename", "", frozenset(), False)
            deps = set(key_groups) | {parent}
            if fj.requires is not None:
                req_groups, req_tree = self.plan_internal(pos, fj.requires)
                deps |= req_groups
                merge_tree(key_tree, req_tree)
            child = self._entity_group(pos, g, as_type, key_tree, deps)
            if self.sg.is_interface_object(g, as_type):
                child.drop_typename = True
            if fj.requires is not None:
                child.allowed_requires.add((as_type, w.name))
                child.requires_inputs.update((pos.type_name, name) for name in req_tree)
            epos = Pos(
                child,
                child.sel.fragment(as_type),
                pos.path,
                pos.type_name,
                as_type,
                None,
                pos.client,
                entity_root=True,
            )
            epos.parent = pos.parent
            groups, entry = self.plan_field(epos, w)
            return groups | {child}, entry
        finally:
            self.in_progress.discard(guard)

    def _available(self, pos: Pos, name: str) -> ReqEntry | None:
        """A field the entity group's representation already carries at this position."""
        if not pos.entity_root:
            return None
        req = pos.group.requires.get(pos.type_name)
        if req is None:
            return None
        return req[1].get(name)

    def _key_direct(self, pos: Pos, key: Key) -> bool:
        provided = self._provided_names(pos)
        for sel in key.fields.selections:
            if isinstance(sel, FieldNode) and self._available(pos, sel.name.value) is not None:
                continue
            one = SelectionSetNode(selections=(sel,))
            if not self._local_selection(pos.group.graph, pos.graph_type, one, provided):
                return False
        return True

    def _parent_feasible(self, pos: Pos) -> bool:
        if pos.parent is None:
            return False
        ppos, pw = pos.parent
        if pw.internal:
            return False
        if ppos.parent is None and ppos.path == ():
            if any(k.resolvable for k in self.sg.keys.get(pos.type_name, ())):
                return False  # an entity: refetching the root field elsewhere is not the same
            return any(
                fj.graph != ppos.group.graph and not fj.external
                for fj in self.sg.field_graphs(ppos.type_name, pw.name)
            )
        for g, as_type, _ in self._sources(ppos.type_name, pw.name):
            if g != ppos.group.graph and self.sg.resolvable_keys(g, as_type):
                return True
        return False

    def _plan_via_parent(self, pos: Pos, w: Want) -> tuple[set[Group], ReqEntry]:
        """No subgraph reaches `w` from here: fetch the enclosing field again elsewhere."""
        if pos.parent is None or not w.nodes:
            raise PlanningError(f"no subgraph can resolve {pos.type_name}.{w.name} here")
        ppos, pw = pos.parent
        inner = SelectionSetNode(selections=w.nodes)
        frag = InlineFragmentNode(
            type_condition=NamedTypeNode(name=NameNode(value=pos.type_name)),
            directives=(),
            selection_set=inner,
        )
        synth_set = SelectionSetNode(selections=(frag,))
        self.ctx.keep.append(synth_set)
        synth = Want(pw.key, pw.name, pw.args, [synth_set], pw.internal, pw.nodes)
        if ppos.parent is None and ppos.path == ():
            graph = self._choose_root_graph(
                ppos.group.kind, ppos.type_name, synth, exclude=ppos.group.graph
            )
            group = self._root_group(ppos.group.kind, graph)
            rpos = Pos(group, group.sel, (), ppos.type_name, ppos.type_name, None, ppos.client)
            groups, _ = self._plan_local(rpos, synth)
        else:
            groups, _ = self._plan_remote(ppos, synth, exclude=ppos.group.graph)
        return groups, ReqEntry(w.key)

    def _entity_group(
        self, pos: Pos, graph: str, typename: str, tree: ReqTree, deps: set[Group]
    ) -> Group:
        """An entity fetch to `graph` at this path; shared when order and inputs allow."""
        path = strip_condition(pos.path)
        on = pos.type_name
        k = (graph, path, pos.group.root_index, pos.group.defer_id)
        for existing in self.entity_groups.get(k, ()):
            if any(d.depends_on(existing) for d in deps):
                continue
            cur = existing.requires.get(on)
            if cur is not None and (cur[0] != typename or _tree_conflicts(cur[1], tree)):
                continue
            existing.deps |= deps
            existing.add_requirement(on, typename, tree)
            return existing
        g = self._new_group(graph, "query", path)
        g.root_index = pos.group.root_index
        g.defer_id = pos.group.defer_id
        g.deps = set(deps)
        g.add_requirement(on, typename, tree)
        self.entity_groups.setdefault(k, []).append(g)
        return g


def _tree_conflicts(a: ReqTree, b: ReqTree) -> bool:
    for name, eb in b.items():
        ea = a.get(name)
        if ea is None:
            continue
        if ea.key != eb.key:
            return True
        if ea.sub and eb.sub:
            for cond, tb in eb.sub.items():
                ta = ea.sub.get(cond)
                if ta is not None and _tree_conflicts(ta, tb):
                    return True
    return False
