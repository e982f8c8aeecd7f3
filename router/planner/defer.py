"""Plan `@defer` fragments: each becomes a part of the plan run after its parent part.

The builder's walk leaves deferred fragments out and registers them here with
the position they sit at. Once the primary part is planned, each fragment is
planned in a part of its own (its groups carry its `defer_id`):

- at the root of a query, its fields become root fetches of their own;
- at an entity position, the parent part fetches `__typename` and a key the
  parent subgraph resolves there, and the fragment's fields are planned from a
  *pseudo group* that "has" those key fields: every field then is an entity
  fetch from the position, exactly as for any other field the parent subgraph
  cannot resolve (so `@requires` chains order themselves as usual);
- anywhere else (a value type, an `@interfaceObject`, a mutation's root) the
  fields are fetched with the parent part and only delivered apart.

Fragments nested in a deferred fragment depend on it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import (
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionSetNode,
    print_ast,
)

from router.planner.groups import Group, ReqEntry, ReqTree, merge_tree
from router.planner.operation import DeferredFragment
from router.planner.position import Pos, strip_condition
from router.supergraph.model import Key

if TYPE_CHECKING:
    from router.planner.builder import GroupBuilder

__all__ = ["DeferInfo", "DeferPlanner"]

#: the graph name of pseudo groups (never a subgraph: nothing is local to them)
PSEUDO_GRAPH = ""


@dataclass(frozen=True, slots=True)
class DeferInfo:
    """One planned deferred fragment (what the assembler and the shaper need)."""

    id: int
    parent: int
    label: str | None
    path: tuple[str, ...]
    type_name: str
    type_condition: str | None
    selection: SelectionSetNode
    inline: bool

    @property
    def subselection(self) -> str:
        return " ".join(print_ast(self.selection).split())


@dataclass(slots=True)
class _Pending:
    pos: Pos | None  # None at the operation's root
    fragment: DeferredFragment
    parent: int


class DeferPlanner:
    """Collects deferred fragments during the builder's walk and plans them after it."""

    def __init__(self, builder: GroupBuilder) -> None:
        self.b = builder
        self.pending: deque[_Pending] = deque()
        self.infos: list[DeferInfo] = []
        #: while a fragment is planned inline, fragments found in it depend on it
        self.inline_parent: int | None = None
        #: (fragment, path) already registered: a position the walk visits twice
        #: (a field fetched again through its parent) must not deliver twice
        self._seen: set[tuple[int, tuple[str, ...]]] = set()
        #: fragments an `@interfaceObject` position took, by (fragment, path without
        #: type conditions): the concrete positions below it must not take them again
        self._claimed: set[tuple[int, tuple[str, ...]]] = set()

    # ------------------------------------------------------------ registration
    def register(self, pos: Pos, subsets: list[SelectionSetNode]) -> None:
        ctx = self.b.ctx
        any_type = self.b.sg.is_abstract(pos.type_name)
        parent = pos.group.defer_id if self.inline_parent is None else self.inline_parent
        base = strip_condition(pos.path)
        for f in ctx.deferred_fragments(subsets, pos.type_name, any_type=any_type):
            seen = (id(f.selection), pos.path)
            claim = (id(f.selection), base)
            if seen in self._seen or (not any_type and claim in self._claimed):
                continue
            self._seen.add(seen)
            if any_type:
                self._claimed.add(claim)
            self.pending.append(_Pending(pos, f, parent))

    def register_root(self, selection: SelectionSetNode, parent: int = 0) -> None:
        for f in self.b.ctx.deferred_fragments([selection], self.b.root_type):
            self.pending.append(_Pending(None, f, parent))

    # ---------------------------------------------------------------- planning
    def plan_pending(self) -> None:
        while self.pending:
            p = self.pending.popleft()
            d = len(self.infos) + 1
            if p.pos is None:
                self._at_root(p, d)
            else:
                self._at(p.pos, p, d)

    def _at_root(self, p: _Pending, d: int) -> None:
        b = self.b
        sel = p.fragment.selection
        inline = b.kind != "query"
        saved = b.defer_id
        b.defer_id = p.parent if inline else d
        if inline:
            self.inline_parent = d
        try:
            b.plan_root_fields(
                b.ctx.collect([sel], b.root_type), b.ctx.collect([sel], b.root_type, True)
            )
        finally:
            b.defer_id = saved
            self.inline_parent = None
        self._record(d, p, (), b.root_type, inline)
        self.register_root(sel, d)

    def _at(self, pos: Pos, p: _Pending, d: int) -> None:
        b = self.b
        t = pos.type_name
        sel = p.fragment.selection
        key_tree = self._key_tree(pos, sel)
        if key_tree is None:
            self._inline(pos, p, d)
            return
        pseudo = Group(
            id=-d,
            graph=PSEUDO_GRAPH,
            kind="query",
            path=strip_condition(pos.path),
            root_index=pos.group.root_index,
            defer_id=d,
        )
        pseudo.requires[t] = (t, key_tree)
        ppos = Pos(
            pseudo,
            pseudo.sel,
            pos.path,
            t,
            t,
            None,
            b.ctx.collect([sel], t, True),
            entity_root=True,
        )
        b.plan_fields_at(ppos, b.ctx.collect([sel], t))
        self._record(d, p, pos.path, t, False)
        for f in b.ctx.deferred_fragments([sel], t):
            self.pending.append(_Pending(ppos, f, d))

    def _inline(self, pos: Pos, p: _Pending, d: int) -> None:
        """Fetch the fragment with its parent part; it is only delivered apart."""
        self.inline_parent = d
        try:
            self._plan_inline(pos, p, d)
        finally:
            self.inline_parent = None
        self._record(d, p, pos.path, pos.type_name, True)

    def _plan_inline(self, pos: Pos, p: _Pending, d: int) -> None:
        b = self.b
        t = pos.type_name
        sel = p.fragment.selection
        if b.sg.is_abstract(t):
            cond = p.fragment.type_condition
            wrapped = sel
            if cond is not None:
                frag = InlineFragmentNode(
                    type_condition=NamedTypeNode(name=NameNode(value=cond)),
                    directives=(),
                    selection_set=sel,
                )
                wrapped = SelectionSetNode(selections=(frag,))
                b.ctx.keep.append(wrapped)
            b.replan_interface_object(pos, wrapped)
        else:
            inner = Pos(
                pos.group,
                pos.sel,
                pos.path,
                t,
                pos.graph_type,
                pos.provided,
                b.ctx.collect([sel], t, True),
                pos.entity_root,
            )
            inner.parent = pos.parent
            inner.alts = pos.alts
            b.plan_fields_at(inner, b.ctx.collect([sel], t))
            for f in b.ctx.deferred_fragments([sel], t):
                self.pending.append(_Pending(pos, f, d))

    def _key_tree(self, pos: Pos, sel: SelectionSetNode) -> ReqTree | None:
        """Place `__typename` and a key at `pos` (parent part); None when no key fits."""
        b = self.b
        t = pos.type_name
        if pos.group.graph == PSEUDO_GRAPH:
            have = pos.group.requires.get(t)
            if have is None:
                return None
            tree: ReqTree = {}
            merge_tree(tree, have[1])
            return tree
        if b.sg.is_abstract(t) or pos.graph_type != t or not pos.path:
            return None
        key = self._choose_key(pos, sel)
        if key is None:
            return None
        _, tree = b.plan_internal(pos, key.fields)
        pos.sel.add_field("__typename", "__typename", "", frozenset(), False)
        tree.setdefault("__typename", ReqEntry("__typename"))
        # Leaf fields the parent part fetches here anyway can feed `@requires`
        # (and keys) of the deferred fetches without another round trip.
        for k, f in pos.sel.fields.items():
            if f.sub is None and not f.args and f.wire is None:
                tree.setdefault(f.name, ReqEntry(k))
        return tree

    def _choose_key(self, pos: Pos, sel: SelectionSetNode) -> Key | None:
        """A key the parent subgraph resolves here, preferring subgraphs that serve the fragment."""
        b = self.b
        t = pos.type_name
        best: tuple[int, int, Key] | None = None
        for order, g in enumerate(b.sg.type_graphs.get(t, ())):
            if g not in b.sg.subgraphs:
                continue
            for k in b.sg.resolvable_keys(g, t):
                if not b.key_direct(pos, k):
                    continue
                score = (b.misses(g, t, [sel]), order)
                if best is None or score < best[:2]:
                    best = (*score, k)
        return best[2] if best is not None else None

    def _record(
        self, d: int, p: _Pending, path: tuple[str, ...], type_name: str, inline: bool
    ) -> None:
        f = p.fragment
        self.infos.append(
            DeferInfo(d, p.parent, f.label, path, type_name, f.type_condition, f.selection, inline)
        )
