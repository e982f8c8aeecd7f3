"""The request span and request metrics as a built-in plugin wrapping the request stage.

A request/response hook pair cannot hold a span open across the stage; a
wrapper can (`Plugin.graphql_service`, composed once per router by `Router`,
outermost, so the span holds every plugin's wrapper too). The Prometheus series
are recorded whether or not traces are exported.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from router import telemetry
from router.plugins import GraphQLResponse, GraphQLService, Plugin

__all__ = ["RequestTelemetryPlugin"]


class RequestTelemetryPlugin(Plugin):
    def graphql_service(self, service: GraphQLService) -> GraphQLService:
        async def execute(
            query: str | None,
            operation_name: str | None = None,
            variables: Mapping[str, Any] | None = None,
            *,
            allow_mutation: bool = True,
        ) -> GraphQLResponse:
            started = time.perf_counter()
            with telemetry.request_span(operation_name, query) as span:
                response = await service(
                    query, operation_name, variables, allow_mutation=allow_mutation
                )
                kind = response.operation_type or "unknown"
                outcome = "error" if response.status >= 400 or response.body.get("errors") else "ok"
                span.set_attribute("graphql.operation.type", kind)
                span.set_attribute("chorus.outcome", outcome)
            telemetry.record_request(kind, outcome, time.perf_counter() - started)
            return response

        return execute
