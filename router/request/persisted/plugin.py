"""Persisted queries (APQ and the manifest safelist) as a plugin on `http_operations`.

Each operation's (query, extensions.persistedQuery) becomes the text to run,
or that operation alone is answered with the rejection (the others of a batch
still run). Always on: with APQ off and no manifest it still refuses a
`persistedQuery` extension (PERSISTED_QUERY_NOT_SUPPORTED).
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from router.plugins import HttpRequestContext, Plugin, Reject
from router.request.persisted.resolve import PersistedQueries, PersistedQueryRejected
from router.settings.persisted import PersistedQuerySettings

__all__ = ["PersistedQueriesPlugin"]


class PersistedQueriesPlugin(Plugin):
    Config: ClassVar[type[BaseModel]] = PersistedQuerySettings

    def __init__(self, config: PersistedQuerySettings) -> None:
        super().__init__(config)
        #: the APQ cache and the manifest (one per router: it outlives supergraph reloads)
        self.store = PersistedQueries(config)

    async def http_operations(self, ctx: HttpRequestContext) -> None:
        resolve = self.store.resolve
        for op in ctx.operations:
            if op.rejection is not None:
                continue
            try:
                op.query = resolve(op.query, op.extensions)
            except PersistedQueryRejected as exc:
                op.reject(Reject(exc.status, body={"errors": [exc.error]}))
