"""A seeded, deterministic stream of card transactions with labelled fraud.

Each card has its own habits: a home country and currency, a typical amount
(log-normal around the card's own mean), a handful of regular merchants, a daily
rate and waking hours. Over `weeks` weeks it pays mostly at its regular merchants,
sometimes somewhere new, and now and then travels abroad (legitimate first-time
countries). Three fraud patterns are injected, each labelled with its name:

- card testing: 4-12 tiny payments (0.5-3 EUR) at new online merchants seconds
  apart, often followed by one large payment;
- account takeover: 2-5 large payments (4-15x the card's mean) from a country the
  card never used, at new electronics/jewelry/travel merchants, within an hour;
- merchant burst: a compromised merchant charges 15-30 different cards within ten
  minutes, at amounts above each card's usual.

The last `holdout_weeks` weeks are the held-out set: the model is trained on the
weeks before and evaluated on those, with features computed over the whole stream
(a card's history runs on into the held-out weeks, as it would in production).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from apps.fraud.currencies import to_eur

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday
HOME = {"DE": "EUR", "FR": "EUR", "GB": "GBP", "US": "USD", "SE": "SEK", "PL": "PLN"}
ABROAD = ["ES", "IT", "US", "JP", "BR", "NG", "TR", "MX", "IN", "ZA", "TH", "CN"]
CATEGORIES = {  # category: (share of a card's regular merchants, amount multiplier)
    "grocery": (0.30, 0.6),
    "restaurants": (0.20, 0.8),
    "fuel": (0.12, 1.0),
    "transport": (0.10, 0.4),
    "clothing": (0.10, 1.6),
    "pharmacy": (0.08, 0.5),
    "electronics": (0.05, 3.0),
    "travel": (0.05, 4.0),
}
RISKY = ("electronics", "jewelry", "travel")


@dataclass(frozen=True)
class SyntheticConfig:
    seed: int = 7
    cards: int = 600
    weeks: int = 6
    holdout_weeks: int = 2
    fraud: dict[str, float] = field(
        default_factory=lambda: {"card_testing": 6, "account_takeover": 6, "merchant_burst": 2}
    )
    travel_per_card_week: float = 0.03

    @classmethod
    def load(cls, path: Path) -> SyntheticConfig:
        data: Any = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of generator settings")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{path}: unknown keys {unknown} (known: {sorted(known)})")
        config = cls(**data)
        if not 0 < config.holdout_weeks < config.weeks:
            raise ValueError(f"{path}: holdout_weeks must be between 1 and weeks - 1")
        return config

    @property
    def holdout_start(self) -> datetime:
        return START + timedelta(weeks=self.weeks - self.holdout_weeks)


@dataclass(frozen=True)
class LabelledTransaction:
    id: str
    card_id: str
    timestamp: datetime
    amount: float
    currency: str
    merchant: str
    merchant_category: str
    country: str
    fraud: bool
    pattern: str  # "" for legitimate ones

    @property
    def amount_eur(self) -> float:
        return to_eur(self.amount, self.currency)


@dataclass
class _Card:
    id: str
    country: str
    currency: str
    mean_eur: float
    per_day: float
    wake: int
    merchants: list[tuple[str, str]]  # (merchant, category)


class _Generator:
    def __init__(self, config: SyntheticConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.rows: list[LabelledTransaction] = []
        self.cards = [self._card(i) for i in range(config.cards)]

    def _card(self, index: int) -> _Card:
        rng = self.rng
        country = rng.choice(list(HOME))
        categories = list(CATEGORIES)
        weights = [CATEGORIES[c][0] for c in categories]
        merchants = []
        for _ in range(rng.randint(4, 12)):
            category = rng.choices(categories, weights)[0]
            merchants.append((f"{category}-{country}-{rng.randint(1, 400)}", category))
        return _Card(
            id=f"card-{index:05d}",
            country=country,
            currency=HOME[country],
            mean_eur=math.exp(rng.gauss(3.4, 0.6)),  # ~30 EUR, from ~10 to ~100
            per_day=rng.uniform(0.5, 4.0),
            wake=rng.randint(6, 10),
            merchants=merchants,
        )

    def _add(
        self,
        card: _Card,
        when: datetime,
        amount_eur: float,
        merchant: str,
        category: str,
        country: str,
        pattern: str = "",
    ) -> None:
        currency = card.currency if country == card.country else _currency_of(country)
        amount = round(amount_eur / to_eur(1.0, currency), 2)
        self.rows.append(
            LabelledTransaction(
                id=f"tx-{len(self.rows):07d}",
                card_id=card.id,
                timestamp=when,
                amount=max(amount, 0.01),
                currency=currency,
                merchant=merchant,
                merchant_category=category,
                country=country,
                fraud=bool(pattern),
                pattern=pattern,
            )
        )

    def _normal_week(self, card: _Card, week_start: datetime) -> None:
        rng = self.rng
        trip = rng.random() < self.config.travel_per_card_week
        trip_country = rng.choice(ABROAD)
        trip_days = set(rng.sample(range(7), rng.randint(2, 5))) if trip else set()
        for day in range(7):
            for _ in range(_poisson(rng, card.per_day)):
                when = week_start + timedelta(
                    days=day, hours=card.wake + rng.uniform(0, 14), seconds=rng.uniform(0, 60)
                )
                merchant, category = rng.choice(card.merchants)
                country = card.country
                if day in trip_days:
                    category = rng.choice(["restaurants", "transport", "grocery", "travel"])
                    merchant, country = (
                        f"{category}-{trip_country}-{rng.randint(1, 50)}",
                        trip_country,
                    )
                elif rng.random() < 0.08:
                    category = rng.choice(list(CATEGORIES))
                    merchant = f"{category}-{card.country}-{rng.randint(401, 5000)}"
                amount = card.mean_eur * CATEGORIES.get(category, (0, 1.0))[1]
                self._add(
                    card, when, amount * math.exp(rng.gauss(0, 0.45)), merchant, category, country
                )

    def _card_testing(self, when: datetime) -> None:
        rng = self.rng
        card = rng.choice(self.cards)
        for i in range(rng.randint(4, 12)):
            merchant = f"digital_goods-XX-{rng.randint(1, 60)}"
            self._add(
                card,
                when + timedelta(seconds=i * rng.uniform(3, 40)),
                rng.uniform(0.5, 3.0),
                merchant,
                "digital_goods",
                card.country,
                "card_testing",
            )
        if rng.random() < 0.6:
            self._add(
                card,
                when + timedelta(minutes=rng.uniform(5, 50)),
                card.mean_eur * rng.uniform(5, 20),
                f"electronics-XX-{rng.randint(1, 60)}",
                "electronics",
                card.country,
                "card_testing",
            )

    def _account_takeover(self, when: datetime) -> None:
        rng = self.rng
        card = rng.choice(self.cards)
        country = rng.choice([c for c in ABROAD if c != card.country])
        for _ in range(rng.randint(2, 5)):
            category = rng.choice(RISKY)
            self._add(
                card,
                when + timedelta(minutes=rng.uniform(0, 60)),
                card.mean_eur * rng.uniform(4, 15),
                f"{category}-{country}-{rng.randint(1, 80)}",
                category,
                country,
                "account_takeover",
            )

    def _merchant_burst(self, when: datetime) -> None:
        rng = self.rng
        merchant = f"clothing-XX-{rng.randint(1, 20)}"
        country = rng.choice(list(HOME))
        for card in rng.sample(self.cards, rng.randint(15, 30)):
            self._add(
                card,
                when + timedelta(minutes=rng.uniform(0, 10)),
                card.mean_eur * rng.uniform(2.5, 8),
                merchant,
                "clothing",
                country,
                "merchant_burst",
            )

    def run(self) -> list[LabelledTransaction]:
        injectors = {
            "card_testing": self._card_testing,
            "account_takeover": self._account_takeover,
            "merchant_burst": self._merchant_burst,
        }
        unknown = sorted(set(self.config.fraud) - set(injectors))
        if unknown:
            raise ValueError(f"unknown fraud patterns {unknown} (known: {sorted(injectors)})")
        for week in range(self.config.weeks):
            week_start = START + timedelta(weeks=week)
            for card in self.cards:
                self._normal_week(card, week_start)
            for pattern, per_week in sorted(self.config.fraud.items()):
                for _ in range(_poisson(self.rng, float(per_week))):
                    offset = timedelta(days=self.rng.uniform(0, 7))
                    injectors[pattern](week_start + offset)
        end = START + timedelta(weeks=self.config.weeks)
        return sorted(
            (r for r in self.rows if r.timestamp < end), key=lambda r: (r.timestamp, r.id)
        )


def _currency_of(country: str) -> str:
    return HOME.get(country, "USD")


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: small means only (a card's daily count, events per week)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def generate(config: SyntheticConfig) -> list[LabelledTransaction]:
    """Every transaction of the stream, in time order; the same config gives the same list."""
    return _Generator(config).run()


def split(
    config: SyntheticConfig, rows: list[LabelledTransaction]
) -> tuple[list[LabelledTransaction], list[LabelledTransaction]]:
    """(training weeks, held-out weeks)."""
    cut = config.holdout_start
    return [r for r in rows if r.timestamp < cut], [r for r in rows if r.timestamp >= cut]
