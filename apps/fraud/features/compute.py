"""A card's behavioural features, computed the same way when serving and when training.

`CardHistory` holds what the features need of a card's past, updated one transaction
at a time in time order, and answers, for the next one, how it compares with what
came before: the amount against the card's mean and spread, how many transactions
the last minute and hour saw, and whether merchant and country are new for the card.
The anomaly trainer replays the synthetic data through this very code, and the
features subgraph keeps each card's `CardStats` in a table and resumes from them, so
the model sees in training what it sees in production.

Mean and spread are kept by Welford's update (count, mean, sum of squared deviations):
numerically steady, and constant work per transaction.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
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


@dataclass
class CardStats:
    """A card's running statistics, all the features need of its history but the places.

    `recent` holds the timestamps of the hour before the last transaction (and the last
    one); `last` orders the card's latest transaction, so that one arriving later with
    an earlier time can be told apart (it cannot be added to these statistics).
    """

    count: int = 0
    mean: float = 0.0
    m2: float = 0.0  # sum of squared deviations from the mean
    last: tuple[datetime, str] | None = None
    recent: deque[datetime] = field(default_factory=deque)


class CardHistory:
    """One card's past; `features(event)` then `add(event)`, in time order.

    `merchants` and `countries` need only hold, of the card's places, those that the
    events still to come name (a store loads just those).
    """

    def __init__(
        self,
        stats: CardStats | None = None,
        merchants: Iterable[str] = (),
        countries: Iterable[str] = (),
    ) -> None:
        self.stats = CardStats() if stats is None else stats
        self.merchants = set(merchants)
        self.countries = set(countries)

    @property
    def count(self) -> int:
        return self.stats.count

    def features(self, event: CardEvent) -> Features:
        s = self.stats
        recent = self._hour_before(event.timestamp)
        last_minute = sum(1 for t in recent if (event.timestamp - t).total_seconds() <= MINUTE_S)
        if s.count:
            spread = max(math.sqrt(max(s.m2 / s.count, 0.0)), MIN_SPREAD_EUR)
            z_score = (event.amount_eur - s.mean) / spread
            ratio = event.amount_eur / s.mean if s.mean > 0 else 1.0
        else:
            z_score, ratio = 0.0, 1.0
        return Features(
            amount_eur=event.amount_eur,
            amount_z_score=z_score,
            amount_to_mean_ratio=ratio,
            card_history_count=s.count,
            count_last_minute=last_minute,
            count_last_hour=len(recent),
            first_at_merchant=event.merchant not in self.merchants,
            first_in_country=event.country not in self.countries,
            seconds_since_previous=(
                None if s.last is None else (event.timestamp - s.last[0]).total_seconds()
            ),
        )

    def add(self, event: CardEvent) -> None:
        s = self.stats
        s.count += 1
        delta = event.amount_eur - s.mean
        s.mean += delta / s.count
        s.m2 += delta * (event.amount_eur - s.mean)
        self.merchants.add(event.merchant)
        self.countries.add(event.country)
        self._hour_before(event.timestamp).append(event.timestamp)
        s.last = event.order

    def _hour_before(self, moment: datetime) -> deque[datetime]:
        """`stats.recent`, rid of the timestamps more than an hour before `moment`."""
        recent = self.stats.recent
        while recent and (moment - recent[0]).total_seconds() > HOUR_S:
            recent.popleft()
        return recent


def features_in_order(events: list[CardEvent]) -> dict[str, Features]:
    """Every event's features against the events of its card before it (any input order)."""
    histories: dict[str, CardHistory] = {}
    out: dict[str, Features] = {}
    for event in sorted(events, key=lambda e: e.order):
        history = histories.setdefault(event.card_id, CardHistory())
        out[event.transaction_id] = history.features(event)
        history.add(event)
    return out
