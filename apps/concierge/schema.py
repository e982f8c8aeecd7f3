"""The concierge's GraphQL fields on the dialogue subgraph: `Booking`, `Query.bookings`
and `Conversation.bookings` (added through the dialogue's extension interface)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.types import Info

from apps.concierge.bookings import BookingView, list_bookings
from subgraphs.dialogue.extension import dialogue_engine
from subgraphs.kit import user_error


@strawberry.type
class Booking:
    id: strawberry.ID
    conversation_id: strawberry.ID
    name: str | None
    party_size: int | None
    date: dt.date | None
    time: str | None = strawberry.field(description='"HH:MM", local time of the venue')
    cuisine: str | None
    status: str = strawberry.field(description="confirmed or cancelled")
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, view: BookingView) -> Booking:
        return cls(
            id=strawberry.ID(view.id),
            conversation_id=strawberry.ID(view.conversation_id),
            name=view.name,
            party_size=view.party_size,
            date=view.date,
            time=view.time.strftime("%H:%M") if view.time else None,
            cuisine=view.cuisine,
            status=view.status,
            created_at=view.created_at,
            updated_at=view.updated_at,
        )


@strawberry.type(name="ConciergeQuery")
class BookingQuery:
    """Joins the dialogue subgraph's `Query`."""

    @strawberry.field(description="Bookings, oldest first; filter by conversation or status.")
    async def bookings(
        self,
        info: Info,
        conversation_id: strawberry.ID | None = None,
        status: str | None = None,
        limit: int = 100,
    ) -> list[Booking]:
        if not 1 <= limit <= 1000:
            raise user_error("limit must be between 1 and 1000")
        views = await list_bookings(
            dialogue_engine(info),
            conversation_id=str(conversation_id) if conversation_id is not None else None,
            status=status,
            limit=limit,
        )
        return [Booking.of(view) for view in views]


@strawberry.type(name="ConciergeConversation")
class ConversationBookings:
    """Joins the dialogue subgraph's `Conversation` (whose `id` is on `self`)."""

    @strawberry.field
    async def bookings(self: Any, info: Info) -> list[Booking]:
        views = await list_bookings(dialogue_engine(info), conversation_id=str(self.id))
        return [Booking.of(view) for view in views]
