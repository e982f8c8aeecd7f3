"""Measure an operation's depth, height, aliases, root fields and repeated fields.

Counting rules follow Apollo Router's limits: depth is the longest chain of
nested fields (fragments included); height counts distinct response keys,
merged only within the same selection set; aliases count once per use of the
fragment that holds them; root fields count each alias.

Every walk is linear in the document or stops early: fragment results are
memoised, fragment cycles count as nothing (validation rejects them), and the
merged-field walk gives up past a budget, so a "fragment bomb" is measured
without being expanded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = ["OperationMeasure", "fragments_of", "measure_operation"]

#: field nodes the height walk may visit before it reports "too high"
HEIGHT_WORK_BUDGET = 200_000


@dataclass(frozen=True, slots=True)
class OperationMeasure:
    depth: int
    height: int
    aliases: int
    root_fields: int
    repeated_fields: int
    #: height and repeated_fields stopped early: both are lower bounds past their cap
    truncated: bool = False


def fragments_of(doc: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}


class _Measurer:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], height_cap: int) -> None:
        self.fragments = fragments
        self.height_cap = height_cap
        self._depth: dict[str, int] = {}
        self._aliases: dict[str, int] = {}
        self._active: set[str] = set()
        self.work = 0
        self.height = 0
        self.repeated = 0
        self.truncated = False

    # ------------------------------------------------------------ depth
    def depth(self, ss: SelectionSetNode | None) -> int:
        if ss is None:
            return 0
        best = 0
        for sel in ss.selections:
            if isinstance(sel, FieldNode):
                d = 1 + self.depth(sel.selection_set)
            elif isinstance(sel, InlineFragmentNode):
                d = self.depth(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                d = self._fragment(sel.name.value, self._depth, self.depth)
            else:  # pragma: no cover - no other selection kinds
                d = 0
            best = max(best, d)
        return best

    # ------------------------------------------------------------ aliases
    def aliases(self, ss: SelectionSetNode | None) -> int:
        if ss is None:
            return 0
        n = 0
        for sel in ss.selections:
            if isinstance(sel, FieldNode):
                n += (sel.alias is not None) + self.aliases(sel.selection_set)
            elif isinstance(sel, InlineFragmentNode):
                n += self.aliases(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                n += self._fragment(sel.name.value, self._aliases, self.aliases)
        return n

    def _fragment(
        self, name: str, memo: dict[str, int], fn: Callable[[SelectionSetNode | None], int]
    ) -> int:
        hit = memo.get(name)
        if hit is not None:
            return hit
        frag = self.fragments.get(name)
        if frag is None or name in self._active:
            return 0  # unknown fragment or a cycle: validation reports both
        self._active.add(name)
        try:
            value = fn(frag.selection_set)
        finally:
            self._active.discard(name)
        memo[name] = value
        return value

    # ------------------------------------------------------------ merged walk
    def collect(
        self, sets: list[tuple[SelectionSetNode, frozenset[str]]]
    ) -> dict[str, list[tuple[FieldNode, frozenset[str]]]]:
        """Fields of `sets` by response key, through fragments, each with the fragments it
        sits in. A fragment is expanded once per collection and never inside itself (a
        cycle: validation reports it)."""
        out: dict[str, list[tuple[FieldNode, frozenset[str]]]] = {}
        seen: set[str] = set()
        stack = list(reversed(sets))
        while stack:
            ss, inside = stack.pop()
            for sel in ss.selections:
                self.work += 1
                if isinstance(sel, FieldNode):
                    key = sel.alias.value if sel.alias else sel.name.value
                    out.setdefault(key, []).append((sel, inside))
                elif isinstance(sel, InlineFragmentNode):
                    stack.append((sel.selection_set, inside))
                elif isinstance(sel, FragmentSpreadNode):
                    name = sel.name.value
                    frag = self.fragments.get(name)
                    if frag is not None and name not in seen and name not in inside:
                        seen.add(name)
                        stack.append((frag.selection_set, inside | {name}))
        return out

    def merged(self, sets: list[tuple[SelectionSetNode, frozenset[str]]]) -> None:
        """Add the height of `sets` (merged) to `self.height`; stop past the cap."""
        for nodes in self.collect(sets).values():
            self.repeated = max(self.repeated, len(nodes))
            self.height += 1
            if self.height > self.height_cap or self.work > HEIGHT_WORK_BUDGET:
                self.truncated = True
                return
            subs = [(n.selection_set, inside) for n, inside in nodes if n.selection_set]
            if subs:
                self.merged(subs)
                if self.truncated:
                    return


def measure_operation(
    op: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    height_cap: int | None = None,
) -> OperationMeasure:
    """Measure `op`; the height walk stops once it passes `height_cap`."""
    m = _Measurer(fragments, height_cap if height_cap is not None else 1_000_000)
    start = [(op.selection_set, frozenset[str]())]
    root = m.collect(start)
    m.work = 0
    m.merged(start)
    return OperationMeasure(
        depth=m.depth(op.selection_set),
        height=m.height,
        aliases=m.aliases(op.selection_set),
        root_fields=len(root),
        repeated_fields=m.repeated,
        truncated=m.truncated,
    )
