"""Join the plans made for each value of a `@skip`/`@include` variable into one.

Where the two plans agree they are shared; where they differ a `Condition`
node picks the side at run time. The two plans are compared step by step:
equal leading and trailing stages of a `Sequence`, equal members of a
`Parallel` and the primary fetch of a `Subscription` are kept once. Two `Defer`
roots that differ sit side by side under a `Condition`, their deferred ids
made unique (`offset_deferred`) so one id map serves both.
"""

from __future__ import annotations

import dataclasses
from itertools import count

from router.planner.assemble import wrap_nodes
from router.planner.plan import (
    Condition,
    Defer,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    Sequence,
    Subscription,
)

__all__ = ["merge_branches", "offset_deferred", "renumber"]


def merge_branches(variable: str, yes: PlanNode | None, no: PlanNode | None) -> PlanNode | None:
    """One node running `yes` when `variable` is true and `no` otherwise."""
    if yes == no:
        return yes
    if isinstance(yes, Subscription) and isinstance(no, Subscription) and yes.primary == no.primary:
        return Subscription(yes.primary, merge_branches(variable, yes.rest, no.rest))
    if isinstance(yes, Parallel) and isinstance(no, Parallel):
        common = [n for n in yes.nodes if n in no.nodes]
        if common:
            only_yes = wrap_nodes(Parallel, [n for n in yes.nodes if n not in common])
            only_no = wrap_nodes(Parallel, [n for n in no.nodes if n not in common])
            if only_yes is None and only_no is None:
                return yes  # the same members in another order
            return Parallel((*common, Condition(variable, only_yes, only_no)))
    elif isinstance(yes, Sequence) or isinstance(no, Sequence):
        a, b = _steps(yes), _steps(no)
        head = 0
        while head < min(len(a), len(b)) and a[head] == b[head]:
            head += 1
        tail = 0
        while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
            tail += 1
        mid_a, mid_b = a[head : len(a) - tail], b[head : len(b) - tail]
        if len(mid_a) == len(mid_b):
            middle = [merge_branches(variable, x, y) for x, y in zip(mid_a, mid_b, strict=True)]
        else:
            middle = [Condition(variable, wrap_nodes(Sequence, mid_a), wrap_nodes(Sequence, mid_b))]
        steps = [*a[:head], *(m for m in middle if m is not None), *a[len(a) - tail :]]
        return wrap_nodes(Sequence, steps)
    return Condition(variable, yes, no)


def _steps(node: PlanNode | None) -> list[PlanNode]:
    if node is None:
        return []
    if isinstance(node, Sequence):
        return list(node.nodes)
    return [node]


def renumber(node: PlanNode | None) -> PlanNode | None:
    """The same plan with its fetches numbered 0, 1, … in walk order (ids are for readers)."""
    return _renumber(node, count())


def _renumber(node: PlanNode | None, ids: count[int]) -> PlanNode | None:
    if node is None:
        return None
    if isinstance(node, Fetch):
        return dataclasses.replace(node, id=next(ids))
    if isinstance(node, Flatten):
        return Flatten(node.path, dataclasses.replace(node.node, id=next(ids)))
    if isinstance(node, Sequence | Parallel):
        return type(node)(tuple(_renumbered(n, ids) for n in node.nodes))
    if isinstance(node, Condition):
        return Condition(
            node.condition, _renumber(node.if_clause, ids), _renumber(node.else_clause, ids)
        )
    if isinstance(node, Subscription):
        primary = dataclasses.replace(node.primary, id=next(ids))
        return Subscription(primary, _renumber(node.rest, ids))
    if isinstance(node, Defer):
        deferred = tuple(dataclasses.replace(d, node=_renumber(d.node, ids)) for d in node.deferred)
        return Defer(_renumber(node.primary, ids), deferred)
    return node


def offset_deferred(node: PlanNode | None, offset: int) -> PlanNode | None:
    """A `Defer` root with its deferred ids moved by `offset` (unique across branches)."""
    if not isinstance(node, Defer) or not offset:
        return node
    deferred = tuple(
        dataclasses.replace(d, id=d.id + offset, depends=d.depends + offset if d.depends else 0)
        for d in node.deferred
    )
    return Defer(node.primary, deferred)


def _renumbered(node: PlanNode, ids: count[int]) -> PlanNode:
    out = _renumber(node, ids)
    assert out is not None
    return out
