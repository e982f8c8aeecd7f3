"""Booking rows: the concierge's bookings as the custom actions change them.

The policy returns booking effects; these functions write them inside the
transaction that applies the turn.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import bookings
from .tracker import ActiveBooking, BookingEffect, CancelBooking, CreateBooking, UpdateBooking


async def active_booking(conn: AsyncConnection, conversation_id: str) -> ActiveBooking | None:
    """The conversation's latest confirmed booking."""
    row = (
        await conn.execute(
            sa.select(bookings)
            .where(bookings.c.conversation_id == conversation_id, bookings.c.status == "confirmed")
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


async def apply_effect(
    conn: AsyncConnection,
    conversation_id: str,
    turn_id: str,
    effect: BookingEffect,
    now: datetime,
) -> ActiveBooking | None:
    """Write one booking effect; return the active booking after it."""
    if isinstance(effect, CreateBooking):
        await conn.execute(
            sa.insert(bookings).values(
                id=effect.booking_id,
                conversation_id=conversation_id,
                turn_id=turn_id,
                status="confirmed",
                created_at=now,
                updated_at=now,
                **booking_columns(effect.details),
            )
        )
        return ActiveBooking(effect.booking_id, dict(effect.details))
    if isinstance(effect, UpdateBooking):
        await conn.execute(
            sa.update(bookings)
            .where(bookings.c.id == effect.booking_id)
            .values(updated_at=now, **booking_columns(effect.changes))
        )
        return await active_booking(conn, conversation_id)
    assert isinstance(effect, CancelBooking)
    await conn.execute(
        sa.update(bookings)
        .where(bookings.c.id == effect.booking_id)
        .values(status="cancelled", updated_at=now)
    )
    return await active_booking(conn, conversation_id)


def booking_columns(values: dict[str, Any]) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    for key, value in values.items():
        if key == "date":
            columns[key] = date.fromisoformat(value) if value else None
        elif key == "time":
            columns[key] = time.fromisoformat(value) if value else None
        elif key in ("name", "party_size", "cuisine"):
            columns[key] = value
    return columns
