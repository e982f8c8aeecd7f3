"""The concierge as the dialogue subgraph loads it.

chorus.yaml names it: `CHORUS_DIALOGUE_EXTENSIONS=apps.concierge.dialogue:extension`, with
the domain file `CHORUS_DIALOGUE_DOMAIN=apps.concierge:data/domain.yml`.
"""

from __future__ import annotations

from collections.abc import Callable

from apps.concierge.actions import concierge_actions, new_booking_id
from apps.concierge.bookings import booking_records
from apps.concierge.schema import BookingQuery, ConversationBookings
from subgraphs.dialogue.extension import DialogueExtension

DOMAIN = "apps.concierge:data/domain.yml"


def extension(new_id: Callable[[], str] = new_booking_id) -> DialogueExtension:
    """Custom actions for bookings, the GraphQL fields that read them, and the
    `bookings` records test stories check."""
    return DialogueExtension(
        actions=concierge_actions(new_id),
        query=BookingQuery,
        conversation=ConversationBookings,
        records={"bookings": booking_records},
    )
