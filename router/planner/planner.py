"""The planner's entry point: (supergraph, operation, conditions) -> QueryPlan, cached."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from graphql import DocumentNode, OperationDefinitionNode, OperationType, print_ast

from router.planner.assemble import assemble_plan
from router.planner.builder import GroupBuilder, PlanningError
from router.planner.defer import DeferInfo
from router.planner.operation import OperationContext
from router.planner.plan import QueryPlan
from router.supergraph.model import Supergraph

__all__ = ["PlannedOperation", "QueryPlanner", "make_applies"]


@dataclass(frozen=True, slots=True)
class PlannedOperation:
    """A plan plus the operation context the response shaper walks.

    `defers` maps each deferred node's id to its fragment (the shaper delivers
    the fragment's selection on its own).
    """

    plan: QueryPlan
    context: OperationContext
    root_type: str
    defers: Mapping[int, DeferInfo] = field(default_factory=dict)


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
    """Plans operations over one supergraph; plans are kept in an LRU cache."""

    def __init__(self, sg: Supergraph, cache_size: int = 1024) -> None:
        self.sg = sg
        self.applies = make_applies(sg)
        self._cache: OrderedDict[tuple[object, ...], PlannedOperation] = OrderedDict()
        self._cache_size = cache_size
        #: whether the latest `plan()` call was answered from the cache (telemetry reads it)
        self.last_was_hit = False

    def plan(
        self,
        doc: DocumentNode,
        op: OperationDefinitionNode,
        conditions: dict[str, bool],
        cache_key: object | None = None,
    ) -> PlannedOperation:
        """Plan `op`; `cache_key` identifies (document, operation name) to the cache."""
        key = (cache_key, tuple(sorted(conditions.items()))) if cache_key is not None else None
        if key is not None:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                self.last_was_hit = True
                return hit
        self.last_was_hit = False
        planned = self._plan(doc, op, conditions)
        if key is not None:
            self._cache[key] = planned
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return planned

    def _plan(
        self, doc: DocumentNode, op: OperationDefinitionNode, conditions: dict[str, bool]
    ) -> PlannedOperation:
        ctx = OperationContext.build(doc, op, conditions, self.applies)
        kind = op.operation.value
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
