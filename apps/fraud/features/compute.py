"""A card's behavioural features, computed the same way when serving and when training.

`CardHistory` replays a card's transactions in time order and answers, for the next
one, how it compares with what came before: the amount against the card's mean and
spread, how many transactions the last minute and hour saw, and whether merchant
and country are new for the card. The anomaly trainer uses this very code on the
synthetic data, so the model sees in training what it sees in production.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime

MIN_SPREAD_EUR = 5.0  # a card that always pays 10.00 would make any other amount "infinite"
MINUTE_S = 60.0
HOUR_S = 3600.0


@dataclass(frozen=True)
class CardEvent:
    """What the history keeps of one transaction."""

    transaction_id: str
    card_id: str
    timestamp: datetime
    amount_eur: float
    merchant: str
    country: str

    @property
    def order(self) -> tuple[datetime, str]:
        return (self.timestamp, self.transaction_id)


@dataclass(frozen=True)
class Features:
    amount_eur: float
    amount_z_score: float  # (amount - mean) / max(spread, MIN_SPREAD_EUR); 0 without history
    amount_to_mean_ratio: float  # amount / mean; 1 without history
    card_history_count: int  # transactions of the card before this one
    count_last_minute: int  # of them, in the 60 s before this one
    count_last_hour: int
    first_at_merchant: bool
    first_in_country: bool
    seconds_since_previous: float | None  # None for the card's first transaction


class CardHistory:
    """Running statistics of one card; `features(event)` then `add(event)`, in time order."""

    def __init__(self) -> None:
        self.count = 0
        self._sum = 0.0
        self._sum_sq = 0.0
        self._merchants: set[str] = set()
        self._countries: set[str] = set()
        self._recent: deque[datetime] = deque()  # timestamps of the last hour
        self._last: datetime | None = None

    def features(self, event: CardEvent) -> Features:
        while self._recent and (event.timestamp - self._recent[0]).total_seconds() > HOUR_S:
            self._recent.popleft()
        last_minute = sum(
            1 for t in self._recent if (event.timestamp - t).total_seconds() <= MINUTE_S
        )
        if self.count:
            mean = self._sum / self.count
            variance = max(self._sum_sq / self.count - mean * mean, 0.0)
            spread = max(math.sqrt(variance), MIN_SPREAD_EUR)
            z_score = (event.amount_eur - mean) / spread
            ratio = event.amount_eur / mean if mean > 0 else 1.0
        else:
            z_score, ratio = 0.0, 1.0
        return Features(
            amount_eur=event.amount_eur,
            amount_z_score=z_score,
            amount_to_mean_ratio=ratio,
            card_history_count=self.count,
            count_last_minute=last_minute,
            count_last_hour=len(self._recent),
            first_at_merchant=event.merchant not in self._merchants,
            first_in_country=event.country not in self._countries,
            seconds_since_previous=(
                None if self._last is None else (event.timestamp - self._last).total_seconds()
            ),
        )

    def add(self, event: CardEvent) -> None:
        self.count += 1
        self._sum += event.amount_eur
        self._sum_sq += event.amount_eur * event.amount_eur
        self._merchants.add(event.merchant)
        self._countries.add(event.country)
        self._recent.append(event.timestamp)
        self._last = event.timestamp


def features_in_order(events: list[CardEvent]) -> dict[str, Features]:
    """Every event's features against the events of its card before it (any input order)."""
    histories: dict[str, CardHistory] = {}
    out: dict[str, Features] = {}
    for event in sorted(events, key=lambda e: e.order):
        history = histories.setdefault(event.card_id, CardHistory())
        out[event.transaction_id] = history.features(event)
        history.add(event)
    return out
