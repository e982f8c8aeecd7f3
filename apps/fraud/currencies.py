"""The currencies the fraud pipeline accepts, with fixed reference rates to EUR.

Features compare amounts across a card's history, so they need one unit. Fixed
rates are enough for that: a few percent of drift between currencies is noise next
to the jumps fraud makes. Ingestion refuses any code not listed here.
"""

from __future__ import annotations

EUR_PER_UNIT: dict[str, float] = {
    "EUR": 1.0,
    "USD": 0.92,
    "GBP": 1.17,
    "CHF": 1.04,
    "JPY": 0.0062,
    "CAD": 0.68,
    "AUD": 0.61,
    "SEK": 0.088,
    "NOK": 0.086,
    "DKK": 0.134,
    "PLN": 0.23,
    "CZK": 0.04,
    "BRL": 0.18,
    "MXN": 0.054,
    "INR": 0.011,
    "CNY": 0.13,
    "SGD": 0.69,
    "ZAR": 0.05,
    "TRY": 0.028,
    "NGN": 0.0006,
}

CURRENCIES = frozenset(EUR_PER_UNIT)


def to_eur(amount: float, currency: str) -> float:
    """`amount` of `currency` in euros (KeyError for a currency ingestion would refuse)."""
    return amount * EUR_PER_UNIT[currency]
