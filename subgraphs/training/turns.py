"""A read-only look at a conversation turn, for `correctTurn`: its text and what the model said.

The dialogue subgraph owns turns (`dialogue_turns`, subgraphs/dialogue/tables.py); it
stores with each turn the understanding the router brought it (intent, confidence,
entities, fallback: what its policy acted on, so what the user was answered with). A
correction needs exactly that, at the moment it is made, and a mutation cannot ask the
router for other subgraphs' fields before it runs; so the training service reads those
three columns of the shared database, and nothing else, and never writes there. The
read is the contract: a change to these columns is a change to the dialogue's public
data, like a change to its GraphQL schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

TURNS_TABLE = "dialogue_turns"

_turns = sa.Table(
    TURNS_TABLE,
    sa.MetaData(),
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("text", sa.Text),
    sa.Column("understanding", sa.JSON),
)


class TurnsUnavailable(LookupError):
    """This database holds no dialogue turns (no dialogue subgraph shares it)."""


@dataclass(frozen=True)
class TurnRecord:
    id: str
    text: str
    understanding: dict[str, Any] | None  # None until the dialogue acted on the turn


async def read_turn(engine: AsyncEngine, turn_id: str) -> TurnRecord | None:
    async with engine.connect() as conn:
        present = await conn.run_sync(lambda c: sa.inspect(c).has_table(TURNS_TABLE))
        if not present:
            raise TurnsUnavailable(
                f"this database has no {TURNS_TABLE} table: corrections read the turn from "
                "the dialogue subgraph's tables, so the training service must share its "
                "database (CHORUS_DATABASE_URL) with the dialogue subgraph"
            )
        row = (await conn.execute(sa.select(_turns).where(_turns.c.id == turn_id))).first()
    if row is None:
        return None
    return TurnRecord(row.id, row.text, row.understanding)
