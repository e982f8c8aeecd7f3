"""Query planning: operation -> QueryPlan. Pure: no I/O, no HTTP, no web framework."""

from __future__ import annotations

from router.planner.builder import PlanningError
from router.planner.defer import DeferInfo
from router.planner.operation import OperationContext, condition_values, condition_variables
from router.planner.plan import (
    Condition,
    Defer,
    DeferredNode,
    Fetch,
    FetchField,
    Flatten,
    OperationKind,
    Parallel,
    PlanNode,
    QueryPlan,
    RenamedField,
    Renames,
    RequiredField,
    RequiredSelection,
    Sequence,
    Subscription,
)
from router.planner.planner import CachingPlanner, PlannedOperation, QueryPlanner

__all__ = [
    "CachingPlanner",
    "Condition",
    "Defer",
    "DeferInfo",
    "DeferredNode",
    "Fetch",
    "FetchField",
    "Flatten",
    "OperationContext",
    "OperationKind",
    "Parallel",
    "PlanNode",
    "PlannedOperation",
    "PlanningError",
    "QueryPlan",
    "QueryPlanner",
    "RenamedField",
    "Renames",
    "RequiredField",
    "RequiredSelection",
    "Sequence",
    "Subscription",
    "condition_values",
    "condition_variables",
]
