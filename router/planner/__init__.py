"""Query planning: operation -> QueryPlan. Pure: no I/O, no HTTP, no web framework."""

from __future__ import annotations

from router.planner.builder import PlanningError
from router.planner.defer import DeferInfo
from router.planner.operation import OperationContext, condition_values, condition_variables
from router.planner.plan import (
    Defer,
    DeferredNode,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    RequiredField,
    RequiredSelection,
    Sequence,
    Subscription,
)
from router.planner.planner import PlannedOperation, QueryPlanner

__all__ = [
    "Defer",
    "DeferInfo",
    "DeferredNode",
    "Fetch",
    "Flatten",
    "OperationContext",
    "Parallel",
    "PlanNode",
    "PlannedOperation",
    "PlanningError",
    "QueryPlan",
    "QueryPlanner",
    "RequiredField",
    "RequiredSelection",
    "Sequence",
    "Subscription",
    "condition_values",
    "condition_variables",
]
