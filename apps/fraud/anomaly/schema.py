"""The anomaly subgraph's GraphQL schema (from `chorus new subgraph`).

Its entity, `AnomalyItem`, is keyed by `id`. The rows below live in memory so
that the subgraph composes and answers right away; replace them with your own
storage. Other subgraphs can extend `AnomalyItem` by its key.
"""

from __future__ import annotations

from dataclasses import dataclass

import strawberry


@dataclass(frozen=True)
class _Row:
    id: str
    name: str


_ROWS: dict[str, _Row] = {
    "1": _Row("1", "first anomaly item"),
    "2": _Row("2", "second anomaly item"),
}


@strawberry.federation.type(
    keys=["id"],
    description="An entity owned by the anomaly subgraph.",
)
class AnomalyItem:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> AnomalyItem | None:
        """Called by the router with a representation `{__typename, id}`."""
        return cls.find(str(id))

    @classmethod
    def find(cls, id: str) -> AnomalyItem | None:
        row = _ROWS.get(id)
        return None if row is None else cls(id=strawberry.ID(row.id), name=row.name)


@strawberry.type
class Query:
    @strawberry.field(description="One AnomalyItem by id, or null.")
    def anomaly_item(
        self,
        id: strawberry.ID,
    ) -> AnomalyItem | None:
        return AnomalyItem.find(str(id))

    @strawberry.field(description="Every AnomalyItem.")
    def anomaly_items(self) -> list[AnomalyItem]:
        found = (AnomalyItem.find(key) for key in _ROWS)
        return [item for item in found if item is not None]


def build_schema() -> strawberry.federation.Schema:
    """A Federation 2 schema (`_service` and `_entities` are added by strawberry)."""
    return strawberry.federation.Schema(
        query=Query,
        types=[
            AnomalyItem,
        ],
    )
