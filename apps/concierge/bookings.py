"""Booking rows: what the concierge's custom actions write, and the events that record it.

Each write happens on the connection the dialogue engine hands to the action:
the transaction that applies the turn, so a booking is written exactly once per
turn however often the turn's action is resolved. The same change is returned
as an event (`CreateBooking`, `UpdateBooking`, `CancelBooking`), which the
engine keeps on the turn's outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from apps.concierge.tables import CANCELLED, CONFIRMED, bookings

# Booking columns filled from the slots of the same name.
BOOKING_FIELDS = ("name", "party_size", "date", "time", "cuisine")


@dataclass(frozen=True)
class ActiveBooking:
    """The conversation's current confirmed booking."""

    id: str
    details: dict[str, Any]


@dataclass(frozen=True)
class CreateBooking:
    booking_id: str
    details: dict[str, Any]


@dataclass(frozen=True)
class UpdateBooking:
    booking_id: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class CancelBooking:
    booking_id: str


BookingEvent = CreateBooking | UpdateBooking | CancelBooking


@dataclass(frozen=True)
class BookingView:
    id: str
    conversation_id: str
    turn_id: str
    name: str | None
    party_size: int | None
    date: date | None
    time: time | None
    cuisine: str | None
    status: str
    created_at: datetime
    updated_at: datetime


async def active_booking(conn: AsyncConnection, conversation_id: str) -> ActiveBooking | None:
    """The conversation's latest confirmed booking."""
    row = (
        await conn.execute(
            sa.select(bookings)
            .where(bookings.c.conversation_id == conversation_id, bookings.c.status == CONFIRMED)
            .order_by(bookings.c.created_at.desc(), bookings.c.id.desc())
            .limit(1)
        )
    ).first()
    if row is None:
        return None
    details = {
        "name": row.name,
        "party_size": row.party_size,
        "date": row.date.isoformat() if row.date else None,
        "time": row.time.strftime("%H:%M") if row.time else None,
        "cuisine": row.cuisine,
    }
    return ActiveBooking(row.id, details)


async def write(
    conn: AsyncConnection, event: BookingEvent, *, conversation_id: str, turn_id: str, now: datetime
) -> None:
    """Apply one booking event to the table."""
    moment = now.astimezone(UTC)  # SQLite keeps no offset: store UTC, as the engine does
    if isinstance(event, CreateBooking):
        await conn.execute(
            sa.insert(bookings).values(
                id=event.booking_id,
                conversation_id=conversation_id,
                turn_id=turn_id,
                status=CONFIRMED,
                created_at=moment,
                updated_at=moment,
                **_columns(event.details),
            )
        )
    elif isinstance(event, UpdateBooking):
        await conn.execute(
            sa.update(bookings)
            .where(bookings.c.id == event.booking_id)
            .values(updated_at=moment, **_columns(event.changes))
        )
    else:
        await conn.execute(
            sa.update(bookings)
            .where(bookings.c.id == event.booking_id)
            .values(status=CANCELLED, updated_at=moment)
        )


async def list_bookings(
    engine: AsyncEngine,
    conversation_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[BookingView]:
    """Bookings, oldest first, optionally of one conversation or status."""
    query = sa.select(bookings).order_by(bookings.c.created_at, bookings.c.id).limit(limit)
    if conversation_id is not None:
        query = query.where(bookings.c.conversation_id == conversation_id)
    if status is not None:
        query = query.where(bookings.c.status == status)
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        BookingView(
            r.id,
            r.conversation_id,
            r.turn_id,
            r.name,
            r.party_size,
            r.date,
            r.time,
            r.cuisine,
            r.status,
            _aware(r.created_at),
            _aware(r.updated_at),
        )
        for r in rows
    ]


async def booking_records(conn: AsyncConnection, conversation_id: str) -> list[dict[str, Any]]:
    """A conversation's bookings, oldest first, as JSON values (what test stories check)."""
    query = (
        sa.select(bookings)
        .where(bookings.c.conversation_id == conversation_id)
        .order_by(bookings.c.created_at, bookings.c.id)
    )
    return [
        {
            "id": row.id,
            "name": row.name,
            "party_size": row.party_size,
            "date": row.date.isoformat() if row.date else None,
            "time": row.time.strftime("%H:%M") if row.time else None,
            "cuisine": row.cuisine,
            "status": row.status,
        }
        for row in (await conn.execute(query)).all()
    ]


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for key, value in values.items():
        if key == "date":
            columns[key] = date.fromisoformat(value) if value else None
        elif key == "time":
            columns[key] = time.fromisoformat(value) if value else None
        elif key in ("name", "party_size", "cuisine"):
            columns[key] = value
    return columns


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything is stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
