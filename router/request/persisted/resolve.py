"""Turn a request's (query, extensions.persistedQuery) into the query text to run.

Order of checks (Apollo's): an id and a body together are refused when a
manifest is in use; an id is looked up in the manifest, else in the APQ cache;
a body with an APQ hash registers it once the hash matches; a free-form body
passes the safelist rules last.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from typing import Any

from router.errors import ErrorCode, graphql_error
from router.request.persisted.manifest import Manifest, normalize
from router.settings.persisted import PersistedQuerySettings

__all__ = ["PersistedQueries", "PersistedQueryRejected"]

log = logging.getLogger("router.persisted")


class PersistedQueryRejected(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error["message"])
        self.status = status
        self.error = error


def _reject(status: int, code: str, message: str) -> PersistedQueryRejected:
    return PersistedQueryRejected(status, graphql_error(message, None, code))


class PersistedQueries:
    def __init__(self, settings: PersistedQuerySettings) -> None:
        self.settings = settings
        self.manifest = Manifest.load(settings.manifest) if settings.manifest else None
        self.apq_enabled = settings.apq and self.manifest is None
        self._apq: OrderedDict[str, str] = OrderedDict()
        self._checked: OrderedDict[str, bool] = OrderedDict()

    def resolve(self, query: str | None, extensions: Any) -> str | None:
        """The query text to execute; raises `PersistedQueryRejected`."""
        pq = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        if pq is not None:
            return self._persisted(query, pq)
        if query is not None and self.manifest is not None:
            self._check_freeform(query)
        return query

    def _persisted(self, query: str | None, pq: Any) -> str | None:
        if not isinstance(pq, dict) or not isinstance(pq.get("sha256Hash"), str):
            raise _reject(400, ErrorCode.BAD_REQUEST, "persistedQuery needs a string sha256Hash")
        pid: str = pq["sha256Hash"]
        if self.manifest is not None:
            if query is not None:
                raise _reject(
                    400,
                    ErrorCode.CANNOT_SEND_PQ_ID_AND_BODY,
                    "Cannot send both a persisted query id and a query body",
                )
            body = self.manifest.by_id.get(pid)
            if body is None:
                raise _reject(
                    400,
                    ErrorCode.PERSISTED_QUERY_NOT_IN_LIST,
                    f"Persisted query '{pid}' not found in the persisted query list",
                )
            return body
        if not self.apq_enabled:
            raise _reject(
                400, ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED, "PersistedQueryNotSupported"
            )
        if pq.get("version", 1) != 1:
            raise _reject(400, ErrorCode.BAD_REQUEST, "persistedQuery version must be 1")
        if query is None:
            hit = self._apq.get(pid.lower())
            if hit is None:
                # 200, as Apollo: the client answers by sending the query text with the hash
                raise _reject(200, ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound")
            self._apq.move_to_end(pid.lower())
            return hit
        if hashlib.sha256(query.encode()).hexdigest() != pid.lower():
            raise _reject(
                400, ErrorCode.PERSISTED_QUERY_HASH_MISMATCH, "provided sha does not match query"
            )
        self._apq[pid.lower()] = query
        if len(self._apq) > self.settings.apq_cache_size:
            self._apq.popitem(last=False)
        return query

    def _check_freeform(self, query: str) -> None:
        s = self.settings
        if s.require_id:
            raise _reject(
                400,
                ErrorCode.PERSISTED_QUERY_ID_REQUIRED,
                "This endpoint only runs persisted queries: send extensions.persistedQuery",
            )
        if not (s.safelist or s.log_unknown):
            return
        known = self._checked.get(query)
        if known is None:
            norm = normalize(query)
            assert self.manifest is not None
            known = norm is not None and norm in self.manifest.bodies
            self._checked[query] = known
            if len(self._checked) > s.apq_cache_size:
                self._checked.popitem(last=False)
        if known:
            return
        if s.log_unknown:
            log.warning("operation not in the persisted query list: %.200s", query)
        if s.safelist:
            raise _reject(
                400,
                ErrorCode.QUERY_NOT_IN_SAFELIST,
                "The operation is not in the persisted query list",
            )
