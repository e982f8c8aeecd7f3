"""The concierge's custom actions: submit, change and cancel a booking.

They do not touch the database: each returns booking effects that the store
applies in the same transaction as the turn, so a booking is written exactly
once per turn however often the turn's action is resolved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .domain import Domain
from .forms import accept_values, validations
from .tracker import (
    BOOKING_FIELDS,
    ActiveBooking,
    BookingEffect,
    CancelBooking,
    CreateBooking,
    DialogueState,
    UpdateBooking,
)


@dataclass
class ActionContext:
    """What a custom action may read and change during one turn."""

    domain: Domain
    state: DialogueState
    candidates: dict[str, Any]
    now: datetime
    booking: ActiveBooking | None
    new_id: Callable[[], str]
    effects: list[BookingEffect] = field(default_factory=list)


def submit_booking(ctx: ActionContext) -> list[str]:
    booking_id = ctx.new_id()
    details = {name: ctx.state.slots.get(name) for name in BOOKING_FIELDS}
    ctx.effects.append(CreateBooking(booking_id, details))
    ctx.booking = ActiveBooking(booking_id, details)
    if "booking_id" in ctx.domain.slots:
        ctx.state.slots["booking_id"] = booking_id
    return []


def change_booking(ctx: ActionContext) -> list[str]:
    if ctx.booking is None:
        return ["utter_no_booking_found"]
    names = [n for n in BOOKING_FIELDS if n in ctx.domain.slots]
    current = dict(ctx.booking.details)
    accepted, rejected = accept_values(
        ctx.domain, ctx.candidates, current, names, validations(ctx.domain), ctx.now
    )
    if rejected:
        return ["utter_change_rejected"]
    changes = {k: v for k, v in accepted.items() if current.get(k) != v}
    if not accepted:
        return ["utter_ask_change_details"]
    if changes:
        ctx.effects.append(UpdateBooking(ctx.booking.id, changes))
    details = {**current, **changes}
    ctx.booking = ActiveBooking(ctx.booking.id, details)
    ctx.state.slots.update({k: v for k, v in details.items() if k in ctx.domain.slots})
    if "booking_id" in ctx.domain.slots:
        ctx.state.slots["booking_id"] = ctx.booking.id
    return ["utter_booking_changed"]


def cancel_booking(ctx: ActionContext) -> list[str]:
    if ctx.state.active_form is not None:
        deactivate_form(ctx)
        return ["utter_booking_aborted"]
    if ctx.booking is None:
        return ["utter_no_booking_found"]
    ctx.effects.append(CancelBooking(ctx.booking.id))
    if "booking_id" in ctx.domain.slots:
        ctx.state.slots["booking_id"] = ctx.booking.id
    ctx.booking = None
    return ["utter_booking_cancelled"]


def deactivate_form(ctx: ActionContext) -> list[str]:
    ctx.state.active_form = None
    ctx.state.requested_slot = None
    return []


CUSTOM_ACTION_FUNCTIONS: dict[str, Callable[[ActionContext], list[str]]] = {
    "action_submit_booking": submit_booking,
    "action_change_booking": change_booking,
    "action_cancel_booking": cancel_booking,
    "action_deactivate_form": deactivate_form,
}
