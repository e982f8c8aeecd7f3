"""Queries validated before, executed by graphql-core without strawberry's per-request wrapper.

Strawberry's `Schema.execute` builds, for every request, an execution context, the
schema's extensions, a runner entering four hook contexts (operation, parsing,
validation, execution) and a resolver middleware manager, before graphql-core runs
anything. On a kit schema whose only extension is the kit's own `QueryCache` and which
has no schema directives, all of that serves a query text seen before by handing over
the document the cache already holds. `DirectExecution` does exactly that itself: for
a query text the cache has validated, it calls graphql-core's public `execute` with
the schema's execution context class (strawberry's, compiled by the kit), hands errors
to the schema's public `process_errors` (which logs them, as on strawberry's path) and
answers with strawberry's `ExecutionResult`. A query text not validated yet, and every
schema that does not qualify (`direct_execution` returns None), keeps `Schema.execute`.

The graphql-core schema is the one strawberry executes on, as the compiled execution
context sees it on the first request (`PlanCache.graphql_schema`); until then every
request takes strawberry's path.
"""

from __future__ import annotations

from functools import partial
from inspect import isawaitable
from typing import Any, cast

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, execute
from graphql.language import DocumentNode, OperationDefinitionNode
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema import Schema
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from subgraphs.kit.compiled_execution import CompiledExecution, PlanCache
from subgraphs.kit.query_cache import ValidatedDocuments, is_query_cache

_ALLOWED = (OperationType.QUERY, OperationType.MUTATION)


class DirectExecution:
    """Run a query text `documents` has validated on graphql-core's `execute` directly."""

    def __init__(self, schema: Schema, documents: ValidatedDocuments, plans: PlanCache) -> None:
        self.schema = schema
        self.documents = documents
        self.plans = plans
        self.runs = 0  # requests answered this way (for tests and curiosity)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None,
        context: Any,
        root_value: Any,
        operation_name: str | None,
        extensions: dict[str, Any] | None,
    ) -> ExecutionResult | None:
        """The answer, or None when strawberry's `Schema.execute` must give it."""
        entry = self.documents.get(query)
        graphql_schema = self.plans.graphql_schema
        if entry is None or graphql_schema is None:
            return None
        self.runs += 1
        document = entry.document
        if operation_name is None and len(document.definitions) > 1:
            operation_name = _first_operation_name(document)  # what strawberry runs
        try:
            result = execute(
                graphql_schema,
                document,
                root_value=root_value,
                context_value=context,
                variable_values=variables,
                operation_name=operation_name,
                executor_class=self.schema.execution_context_class,
                # what strawberry's execute passes (typed as a plain bool predicate)
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                operation_extensions=extensions,
            )
            if isawaitable(result):
                result = await result
        except Exception as exc:  # as strawberry's `execute` answers an unexpected failure
            error = (
                exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
            )
            result = GraphQLExecutionResult(None, [error])
        if result.errors:
            execution_context = ExecutionContext(
                query=query,
                schema=self.schema,
                allowed_operations=_ALLOWED,
                context=context,
                root_value=root_value,
                variables=variables,
                provided_operation_name=operation_name,
                operation_extensions=extensions,
            )
            execution_context.graphql_document = document
            execution_context.pre_execution_errors = result.errors
            self.schema.process_errors(result.errors, execution_context)
        return ExecutionResult(data=result.data, errors=result.errors, extensions={})


def _first_operation_name(document: DocumentNode) -> str | None:
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.name.value if definition.name else None
    return None


def direct_execution(schema: Any) -> DirectExecution | None:
    """A `DirectExecution` for `schema`, or None where strawberry's wrapper does more."""
    if not isinstance(schema, Schema) or schema.directives:
        return None
    config = schema.config
    if config.disable_field_suggestions or getattr(
        config, "enable_experimental_incremental_execution", False
    ):
        return None
    extensions = tuple(schema.extensions)
    if len(extensions) != 1 or not is_query_cache(extensions[0]):
        return None
    documents = cast(partial[Any], extensions[0]).args[0]
    context_class: Any = schema.execution_context_class
    if not isinstance(context_class, type) or not issubclass(context_class, CompiledExecution):
        return None
    return DirectExecution(schema, documents, context_class.plans)
