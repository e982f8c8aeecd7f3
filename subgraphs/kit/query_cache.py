"""`QueryCache`: parsing and validation cached on the query text, in one schema extension.

Strawberry's `ParserCache` and `ValidationCache` are two extensions: every request builds
both, enters a hook context for each, and the validation cache's key is the parsed
document, which graphql-core hashes node by node on every lookup. `QueryCache` keys
both steps on the query string and uses one hook (`on_operation`, public
`SchemaExtension` API): for a query text seen before, it hands strawberry the parsed
document and the (empty) validation result, so strawberry's own parse and validation
steps find their work done and skip it.

Only documents that passed validation are cached: a request whose operation ran (its
result is not strawberry's `PreExecutionError`) was parsed and validated without errors
under the validation rules and parse options it had, and a later request uses the entry
only when its rules and options are the same. Anything else (syntax errors, invalid
documents, disallowed operation types) takes strawberry's whole path every time, so its
answer is strawberry's own.

The document is handed over before strawberry's parse step, so another extension's parse
or validation hooks would see it already there (and its own validation rules skipped if
it added them later); the kit installs `QueryCache` only on schemas without other
extensions and keeps strawberry's two caches otherwise (`create_app`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any, NamedTuple

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import PreExecutionError

from subgraphs.kit.bounded_map import BoundedMap


class _Entry(NamedTuple):
    document: DocumentNode
    rules: tuple[Any, ...]
    parse_options: Any


class ValidatedDocuments(BoundedMap[str, _Entry]):
    """Query text -> its parsed, validated document; bounded, oldest entry dropped first.

    Shared by the `QueryCache` instances of one schema (strawberry builds an extension per
    request).
    """


class QueryCache(SchemaExtension):
    """Parse and validation cache keyed on the query text (pass a factory to the schema)."""

    def __init__(self, documents: ValidatedDocuments) -> None:
        super().__init__()
        self.documents = documents

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if not query or context.graphql_document is not None:
            yield  # a document given by someone else: strawberry's path
            return
        entry = self.documents.get(query)
        if (
            entry is not None
            and context.pre_execution_errors is None
            and entry.rules == context.validation_rules
            and entry.parse_options == context.parse_options
        ):
            context.graphql_document = entry.document
            if entry.rules:  # strawberry validates only when there are rules
                context.pre_execution_errors = []
            yield
            return
        rules, parse_options = context.validation_rules, context.parse_options
        yield
        document, result = context.graphql_document, context.result
        ran = result is not None and not isinstance(result, PreExecutionError)
        if ran and document is not None:  # parsed and validated without errors
            self.documents.put(query, _Entry(document, tuple(rules), parse_options))


def query_cache(maxsize: int = 1024) -> Callable[[], QueryCache]:
    """The factory to put in a schema's `extensions`: one document store for all requests."""
    return partial(QueryCache, ValidatedDocuments(maxsize))


def is_query_cache(extension: object) -> bool:
    """Is this entry of a schema's `extensions` a factory made by `query_cache`?"""
    return isinstance(extension, partial) and extension.func is QueryCache
