"""Checks on submitted transactions, all reported at once so a client fixes them in one go.

GraphQL already refuses wrong types (a string amount, a missing field); these are
the checks on values. A batch with any invalid input is refused whole.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apps.fraud.currencies import CURRENCIES

MAX_BATCH = 10_000
MAX_AMOUNT = 10_000_000.0
MAX_TEXT = 200
MAX_FUTURE = timedelta(minutes=5)  # clocks drift; further ahead is a client bug
COUNTRY = re.compile(r"^[A-Z]{2}$")
CATEGORY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class Submitted:
    """One transaction as the client sent it, with its timestamp made explicit (UTC)."""

    client_key: str
    amount: float
    currency: str
    merchant: str
    merchant_category: str
    country: str
    card_id: str
    timestamp: datetime


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def at(self, prefix: str) -> dict[str, str]:
        return {"field": f"{prefix}.{self.field}", "message": self.message}


def problems(tx: Submitted, now: datetime | None = None) -> list[Problem]:
    """Everything wrong with one transaction (empty when it is valid)."""
    found: list[Problem] = []
    now = now or datetime.now(UTC)
    for name in ("client_key", "merchant", "card_id"):
        value = getattr(tx, name)
        if not value.strip():
            found.append(Problem(_camel(name), "must not be empty"))
        elif len(value) > MAX_TEXT:
            found.append(Problem(_camel(name), f"is longer than {MAX_TEXT} characters"))
    if not math.isfinite(tx.amount):
        found.append(Problem("amount", "must be a finite number"))
    elif tx.amount <= 0:
        found.append(Problem("amount", f"must be positive (got {tx.amount:g})"))
    elif tx.amount > MAX_AMOUNT:
        found.append(Problem("amount", f"is above the limit of {MAX_AMOUNT:,.0f}"))
    if tx.currency not in CURRENCIES:
        found.append(
            Problem(
                "currency",
                f"unknown currency {tx.currency!r} (accepted: {', '.join(sorted(CURRENCIES))})",
            )
        )
    if not COUNTRY.match(tx.country):
        found.append(Problem("country", f"{tx.country!r} is not an ISO 3166 alpha-2 code (DE)"))
    if not CATEGORY.match(tx.merchant_category):
        found.append(
            Problem("merchantCategory", f"{tx.merchant_category!r} is not lower_snake_case")
        )
    if tx.timestamp > now + MAX_FUTURE:
        found.append(Problem("timestamp", f"{tx.timestamp.isoformat()} is in the future"))
    return found


def as_utc(moment: datetime | None) -> datetime:
    """A client's timestamp in UTC; one without an offset is taken as UTC, none is now."""
    if moment is None:
        return datetime.now(UTC)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)
