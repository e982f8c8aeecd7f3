"""A document cache that enforces the limits before validation.

On a cache miss the query is parsed with a token cap, measured against the
operation limits, checked for introspection (when disabled) and only then
handed to the plain `DocumentCache` for validation, so an oversized or
abusive document never reaches the (quadratic in places) validator. Results,
rejections included, are cached per query text like any other document.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, GraphQLSchema, parse

from router.errors import ErrorCode
from router.request.documents import DocumentCache, PreparedDocument
from router.request.introspection import (
    hide_suggestions,
    introspection_depth_errors,
    introspection_errors,
)
from router.request.limits.check import limit_errors
from router.settings import RouterSettings
from router.settings.limits import LimitsSettings

__all__ = ["GuardedDocumentCache", "guarded_document_cache"]

log = logging.getLogger("router.limits")


class GuardedDocumentCache(DocumentCache):
    def __init__(
        self,
        schema: GraphQLSchema,
        size: int,
        limits: LimitsSettings,
        *,
        warn_only: bool,
        introspection: bool,
        suggestions: bool,
    ) -> None:
        super().__init__(schema, size)
        self.limits = limits
        self.warn_only = warn_only
        self.introspection = introspection
        self.suggestions = suggestions

    def _prepare(self, query: str) -> PreparedDocument:
        try:
            doc = parse(query, no_location=True, max_tokens=self.limits.parser_max_tokens)
        except GraphQLError as err:
            return _rejected([_parse_error(err)])
        if not self.introspection:
            errors = introspection_errors(doc)
            if errors:
                return _rejected(errors)
        if self.limits.introspection_max_depth:
            errors = introspection_depth_errors(self.schema, doc)
            if errors:
                return _rejected(errors)
        errors = limit_errors(doc, self.limits)
        if errors:
            if not self.warn_only:
                return _rejected(errors)
            log.warning("operation limits exceeded (warn_only): %s", errors)
        prepared = super()._prepare(query)
        if not self.suggestions and prepared.errors:
            return PreparedDocument(None, hide_suggestions(prepared.errors), ())
        return prepared


def _parse_error(err: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = dict(err.formatted)
    ext: dict[str, Any] = dict(out.get("extensions") or {})
    ext.setdefault("code", str(ErrorCode.GRAPHQL_PARSE_FAILED))
    out["extensions"] = ext
    return out


def _rejected(errors: list[dict[str, Any]]) -> PreparedDocument:
    return PreparedDocument(None, tuple(errors), ())


def guarded_document_cache(schema: GraphQLSchema, settings: RouterSettings) -> GuardedDocumentCache:
    """The document cache of one supergraph, with the limits and production rules of `settings`."""
    return GuardedDocumentCache(
        schema,
        settings.document_cache_size,
        settings.limits,
        warn_only=settings.limits_warn_only,
        introspection=settings.introspection_enabled,
        suggestions=settings.suggestions_enabled,
    )
