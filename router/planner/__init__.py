"""Query planning: operation -> QueryPlan. Pure: no I/O, no HTTP, no web framework."""

from __future__ import annotations

from router.planner.builder import PlanningError
from router.planner.operation import OperationContext, condition_values, condition_variables
from router.planner.plan import (
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    RequiredField,
    RequiredSelection,
    Sequence,
)
from router.planner.planner import PlannedOperation, QueryPlanner

__all__ = [
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
    "condition_values",
    "condition_variables",
]
