"""Plan exposure (dev mode): `Chorus-Expose-Query-Plan: true` adds the plan to the answer.

A plugin on `execution_response`: the first payload of an operation (the only
one, or a stream's initial payload) gets `extensions.queryPlan`. Requests
without an HTTP request context (the WebSocket) never ask.
"""

from __future__ import annotations

from router.plugins import ExecutionResponseContext, Plugin

__all__ = ["EXPOSE_PLAN_HEADER", "PlanExposurePlugin"]

EXPOSE_PLAN_HEADER = "chorus-expose-query-plan"


class PlanExposurePlugin(Plugin):
    async def execution_response(self, ctx: ExecutionResponseContext) -> None:
        if not ctx.first or ctx.request is None:
            return
        if ctx.request.headers.get(EXPOSE_PLAN_HEADER, "").strip().lower() == "true":
            ctx.body.setdefault("extensions", {})["queryPlan"] = ctx.plan.to_dict()
