"""Turn an operation's measure into Apollo-coded limit errors."""

from __future__ import annotations

import logging
from typing import Any

from graphql import DocumentNode, OperationDefinitionNode

from router.errors import ErrorCode, graphql_error
from router.request.limits.measure import fragments_of, measure_operation
from router.settings.limits import LimitsSettings

__all__ = ["limit_errors"]

log = logging.getLogger("router.limits")


def limit_errors(doc: DocumentNode, limits: LimitsSettings) -> list[dict[str, Any]]:
    """Errors for every operation of `doc` that exceeds a limit (all of them are checked:
    a document is accepted or rejected as a whole, before validation)."""
    frags = fragments_of(doc)
    out: list[dict[str, Any]] = []
    for d in doc.definitions:
        if isinstance(d, OperationDefinitionNode):
            out.extend(_operation_errors(d, frags, limits))
    return out


def _operation_errors(
    op: OperationDefinitionNode, frags: Any, limits: LimitsSettings
) -> list[dict[str, Any]]:
    m = measure_operation(op, frags, limits.max_height)
    name = op.name.value if op.name else None
    checks = (
        (limits.max_depth, m.depth, ErrorCode.MAX_DEPTH_LIMIT, "Maximum depth limit exceeded"),
        (
            limits.max_height,
            m.height,
            ErrorCode.MAX_HEIGHT_LIMIT,
            "Maximum height (field count) limit exceeded",
        ),
        (
            limits.max_aliases,
            m.aliases,
            ErrorCode.MAX_ALIASES_LIMIT,
            "Maximum aliases limit exceeded",
        ),
        (
            limits.max_root_fields,
            m.root_fields,
            ErrorCode.MAX_ROOT_FIELDS_LIMIT,
            "Maximum root fields limit exceeded",
        ),
        (
            limits.max_repeated_fields,
            m.repeated_fields,
            ErrorCode.MAX_REPEATED_FIELDS_LIMIT,
            "Maximum repeated fields limit exceeded",
        ),
    )
    out = []
    for limit, value, code, message in checks:
        if limit is not None and value > limit:
            where = f" in operation '{name}'" if name else " in this operation"
            out.append(
                graphql_error(
                    f"{message}{where} ({value}{'+' if m.truncated else ''} > {limit})",
                    None,
                    code,
                )
            )
    return out
