"""The ingestion subgraph's GraphQL schema (from `chorus new subgraph`).

Its entity, `IngestionItem`, is keyed by `id`. The rows below live in memory so
that the subgraph composes and answers right away; replace them with your own
storage. Other subgraphs can extend `IngestionItem` by its key.
"""

from __future__ import annotations

from dataclasses import dataclass

import strawberry


@dataclass(frozen=True)
class _Row:
    id: str
    name: str


_ROWS: dict[str, _Row] = {
    "1": _Row("1", "first ingestion item"),
    "2": _Row("2", "second ingestion item"),
}


@strawberry.federation.type(
    keys=["id"],
    description="An entity owned by the ingestion subgraph.",
)
class IngestionItem:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> IngestionItem | None:
        """Called by the router with a representation `{__typename, id}`."""
        return cls.find(str(id))

    @classmethod
    def find(cls, id: str) -> IngestionItem | None:
        row = _ROWS.get(id)
        return None if row is None else cls(id=strawberry.ID(row.id), name=row.name)


@strawberry.type
class Query:
    @strawberry.field(description="One IngestionItem by id, or null.")
    def ingestion_item(
        self,
        id: strawberry.ID,
    ) -> IngestionItem | None:
        return IngestionItem.find(str(id))

    @strawberry.field(description="Every IngestionItem.")
    def ingestion_items(self) -> list[IngestionItem]:
        found = (IngestionItem.find(key) for key in _ROWS)
        return [item for item in found if item is not None]


def build_schema() -> strawberry.federation.Schema:
    """A Federation 2 schema (`_service` and `_entities` are added by strawberry)."""
    return strawberry.federation.Schema(
        query=Query,
        types=[
            IngestionItem,
        ],
    )
