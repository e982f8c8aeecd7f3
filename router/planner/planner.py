"""The planner's entry point: (supergraph, operation, conditions) -> QueryPlan.

`QueryPlanner` is stateless: the same operation and conditions give an equal
plan. `@skip`/`@include` on a variable become `Condition` nodes (`branch.py`),
so one plan serves every value of those variables. `CachingPlanner` wraps it
with an LRU cache keyed on the document, the operation name and the values of
the conditions the plan is made for (`@defer(if:)`, see `fixed_variables`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from graphql import DocumentNode, OperationDefinitionNode, OperationType, print_ast

from router.planner.assemble import assemble_plan
from router.planner.branch import merge_branches, offset_deferred, renumber
from router.planner.builder import GroupBuilder, PlanningError
from router.planner.defer import DeferInfo
from router.planner.operation import OperationContext, branch_variables, condition_variables
from router.planner.plan import OperationKind, PlanNode, QueryPlan
from router.supergraph.model import Supergraph

__all__ = [
    "MAX_BRANCH_VARIABLES",
    "CachingPlanner",
    "PlannedOperation",
    "QueryPlanner",
    "make_applies",
]

#: `@skip`/`@include` variables one plan branches on; more are decided per plan
#: (a plan holds every combination: 2**n sub-plans are planned on a cache miss)
MAX_BRANCH_VARIABLES = 4

_KINDS: dict[OperationType, OperationKind] = {
    OperationType.QUERY: "query",
    OperationType.MUTATION: "mutation",
    OperationType.SUBSCRIPTION: "subscription",
}


@dataclass(frozen=True, slots=True)
class PlannedOperation:
    """A plan plus the operation context the response shaper walks.

    `defers` maps each deferred node's id to its fragment (the shaper delivers
    the fragment's selection on its own). When the plan branches on
    `branch_variables`, `contexts` holds the shaping context for each
    combination of their values (in that order): `context_for` picks it.
    """

    plan: QueryPlan
    context: OperationContext
    root_type: str
    defers: Mapping[int, DeferInfo] = field(default_factory=dict)
    branch_variables: tuple[str, ...] = ()
    contexts: Mapping[tuple[bool, ...], OperationContext] = field(default_factory=dict)

    def context_for(self, conditions: Mapping[str, bool]) -> OperationContext:
        """The shaping context for a request's condition values."""
        names = self.branch_variables
        if not names:
            return self.context
        return self.contexts[tuple([bool(conditions.get(n, False)) for n in names])]


def make_applies(sg: Supergraph) -> Callable[[str | None, str], bool]:
    sets: dict[str, frozenset[str]] = {}

    def applies(cond: str | None, runtime: str) -> bool:
        if cond is None or cond == runtime:
            return True
        s = sets.get(cond)
        if s is None:
            s = sets[cond] = frozenset(sg.possible_types(cond))
        return runtime in s

    return applies


class QueryPlanner:
    """Plans operations over one supergraph (no cache: see `CachingPlanner`)."""

    def __init__(self, sg: Supergraph) -> None:
        self.sg = sg
        self.applies = make_applies(sg)

    def fixed_variables(self, doc: DocumentNode, op: OperationDefinitionNode) -> tuple[str, ...]:
        """The condition variables a plan of `op` is made for (not turned into `Condition`s)."""
        branched = branch_variables(doc, op, MAX_BRANCH_VARIABLES)
        return tuple(n for n in condition_variables(doc) if n not in branched)

    def plan(
        self, doc: DocumentNode, op: OperationDefinitionNode, conditions: Mapping[str, bool]
    ) -> PlannedOperation:
        """Plan `op`, deciding the conditions given in `conditions`.

        The `@skip`/`@include` variables it branches on that `conditions` leaves
        out become `Condition` nodes; any other condition left out reads false.
        """
        names = [n for n in branch_variables(doc, op, MAX_BRANCH_VARIABLES) if n not in conditions]
        if not names:
            return self._plan(doc, op, dict(conditions))
        plans: dict[tuple[bool, ...], PlannedOperation] = {}
        defers: dict[int, DeferInfo] = {}

        def branch(i: int, values: tuple[bool, ...], conds: dict[str, bool]) -> PlanNode | None:
            if i == len(names):
                planned = plans[values] = self._plan(doc, op, conds)
                offset = max(defers, default=0)
                defers.update((k + offset, info) for k, info in planned.defers.items())
                return offset_deferred(planned.plan.node, offset)
            yes = branch(i + 1, (*values, True), {**conds, names[i]: True})
            no = branch(i + 1, (*values, False), {**conds, names[i]: False})
            return merge_branches(names[i], yes, no)

        node = renumber(branch(0, (), dict(conditions)))
        first = plans[(True,) * len(names)]
        return PlannedOperation(
            QueryPlan(node, first.plan.operation_kind),
            first.context,
            first.root_type,
            defers,
            tuple(names),
            {values: p.context for values, p in plans.items()},
        )

    def _plan(
        self, doc: DocumentNode, op: OperationDefinitionNode, conditions: dict[str, bool]
    ) -> PlannedOperation:
        ctx = OperationContext.build(doc, op, conditions, self.applies)
        kind = _KINDS[op.operation]
        root = {
            OperationType.QUERY: self.sg.schema.query_type,
            OperationType.MUTATION: self.sg.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.sg.schema.subscription_type,
        }[op.operation]
        if root is None:
            raise PlanningError(f"the schema has no {kind} type")
        builder = GroupBuilder(self.sg, ctx)
        groups = builder.build(kind, root.name, op.selection_set)
        var_types = {
            vd.variable.name.value: print_ast(vd.type)
            + (f" = {print_ast(vd.default_value)}" if vd.default_value is not None else "")
            for vd in op.variable_definitions or ()
        }
        infos = builder.defer.infos
        plan = assemble_plan(self.sg, kind, groups, var_types, infos)
        return PlannedOperation(plan, ctx, root.name, {d.id: d for d in infos})


@dataclass(slots=True)
class _Entry:
    """The plans of one (document, operation name): one per value of its fixed conditions."""

    fixed: tuple[str, ...]
    plans: dict[tuple[bool, ...], PlannedOperation] = field(default_factory=dict)


#: plans kept per (document, operation name), one per combination of `@defer(if:)` values
_PLANS_PER_ENTRY = 16


class CachingPlanner:
    """An LRU cache of plans in front of a `QueryPlanner` (the planner holds no state)."""

    def __init__(self, planner: QueryPlanner, size: int = 1024) -> None:
        self.planner = planner
        self.applies = planner.applies
        self._cache: OrderedDict[object, _Entry] = OrderedDict()
        self._size = size
        #: whether the latest `plan()` call was answered from the cache (telemetry reads it)
        self.last_was_hit = False

    def plan(
        self,
        doc: DocumentNode,
        op: OperationDefinitionNode,
        conditions: Mapping[str, bool],
        cache_key: object,
    ) -> PlannedOperation:
        """The plan of `op`; `cache_key` identifies (document, operation name).

        `conditions` holds the request's value of every condition variable; only
        those the plan is made for (`QueryPlanner.fixed_variables`) key the cache.
        """
        entry = self._cache.get(cache_key)
        if entry is None:
            entry = _Entry(self.planner.fixed_variables(doc, op))
            self._cache[cache_key] = entry
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(cache_key)
        fixed = entry.fixed
        values = tuple([bool(conditions.get(n, False)) for n in fixed]) if fixed else ()
        hit = entry.plans.get(values)
        if hit is not None:
            self.last_was_hit = True
            return hit
        self.last_was_hit = False
        planned = self.planner.plan(doc, op, dict(zip(fixed, values, strict=True)))
        if len(entry.plans) >= _PLANS_PER_ENTRY:
            entry.plans.pop(next(iter(entry.plans)))
        entry.plans[values] = planned
        return planned
