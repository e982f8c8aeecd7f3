"""The rules-only baseline: what a team runs before it has a model.

Three classic rules on the same features the model sees; the score is the share of
rules that fire, so the baseline has a precision-recall curve too (0, 1/3, 2/3, 1).
It flags a transaction when any rule fires. `chorus test anomaly` reports it next to
the model on the same held-out transactions.
"""

from __future__ import annotations

from apps.fraud.features.compute import Features

VELOCITY_PER_MINUTE = 3  # a 4th payment within a minute
LARGE_Z_SCORE = 4.0  # four spreads above the card's mean
NEW_COUNTRY_EUR = 150.0  # a first payment in a country above this


def rules_fired(f: Features) -> list[str]:
    fired = []
    if f.count_last_minute >= VELOCITY_PER_MINUTE:
        fired.append("velocity")
    if f.card_history_count >= 5 and f.amount_z_score >= LARGE_Z_SCORE:
        fired.append("large amount for the card")
    if f.first_in_country and f.card_history_count > 0 and f.amount_eur >= NEW_COUNTRY_EUR:
        fired.append("large amount in a new country")
    return fired


def score(f: Features) -> float:
    return len(rules_fired(f)) / 3
