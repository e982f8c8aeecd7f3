"""The concierge's custom actions: submit, change and cancel a booking.

Each reads the conversation's booking and writes its change through the turn's
connection (see `subgraphs.dialogue.actions`), and returns the slots to set,
the response to voice next and the booking event it wrote. The domain file
(data/domain.yml) names them under `actions:`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from apps.concierge.bookings import (
    BOOKING_FIELDS,
    BookingEvent,
    CancelBooking,
    CreateBooking,
    UpdateBooking,
    active_booking,
    write,
)
from subgraphs.dialogue.actions import ActionContext, ActionRegistry, ActionResult


def new_booking_id() -> str:
    return uuid.uuid4().hex[:10].upper()


def concierge_actions(new_id: Callable[[], str] = new_booking_id) -> ActionRegistry:
    """The concierge's actions; `new_id` names new bookings (tests pass a predictable one)."""
    actions = ActionRegistry()

    @actions.register("action_submit_booking")
    async def submit_booking(ctx: ActionContext) -> ActionResult:
        booking_id = new_id()
        details = {name: ctx.slots.get(name) for name in BOOKING_FIELDS}
        event = CreateBooking(booking_id, details)
        await _record(ctx, event)
        return ActionResult(slots=_id_slot(ctx, booking_id), events=(event,))

    @actions.register(
        "action_change_booking",
        responses=(
            "utter_booking_changed",
            "utter_ask_change_details",
            "utter_change_rejected",
            "utter_no_booking_found",
        ),
    )
    async def change_booking(ctx: ActionContext) -> ActionResult:
        booking = await active_booking(ctx.connection, _conversation(ctx))
        if booking is None:
            return ActionResult(followups=("utter_no_booking_found",))
        current = dict(booking.details)
        names = [n for n in BOOKING_FIELDS if n in ctx.domain.slots]
        accepted, rejected = ctx.accept_values(names, current)
        if rejected:
            return ActionResult(followups=("utter_change_rejected",))
        if not accepted:
            return ActionResult(followups=("utter_ask_change_details",))
        changes = {k: v for k, v in accepted.items() if current.get(k) != v}
        events: tuple[BookingEvent, ...] = ()
        if changes:
            events = (UpdateBooking(booking.id, changes),)
            await _record(ctx, events[0])
        details = {**current, **changes}
        slots = {k: v for k, v in details.items() if k in ctx.domain.slots}
        return ActionResult(
            slots={**slots, **_id_slot(ctx, booking.id)},
            followups=("utter_booking_changed",),
            events=events,
        )

    @actions.register(
        "action_cancel_booking",
        responses=("utter_booking_cancelled", "utter_booking_aborted", "utter_no_booking_found"),
    )
    async def cancel_booking(ctx: ActionContext) -> ActionResult:
        if ctx.active_form is not None:  # "cancel" while booking: stop the form instead
            return ActionResult(end_form=True, followups=("utter_booking_aborted",))
        booking = await active_booking(ctx.connection, _conversation(ctx))
        if booking is None:
            return ActionResult(followups=("utter_no_booking_found",))
        event = CancelBooking(booking.id)
        await _record(ctx, event)
        return ActionResult(
            slots=_id_slot(ctx, booking.id),
            followups=("utter_booking_cancelled",),
            events=(event,),
        )

    return actions


async def _record(ctx: ActionContext, event: BookingEvent) -> None:
    await write(
        ctx.connection,
        event,
        conversation_id=_conversation(ctx),
        turn_id=_turn(ctx),
        now=ctx.now,
    )


def _conversation(ctx: ActionContext) -> str:
    assert ctx.conversation_id is not None, "bookings belong to a stored conversation"
    return ctx.conversation_id


def _turn(ctx: ActionContext) -> str:
    assert ctx.turn_id is not None, "bookings are written by a stored turn"
    return ctx.turn_id


def _id_slot(ctx: ActionContext, booking_id: str) -> dict[str, str]:
    """The `booking_id` slot, when the domain has one."""
    return {"booking_id": booking_id} if "booking_id" in ctx.domain.slots else {}
