"""The model's input: a transaction's features as numbers, named as in GraphQL.

The names are the `TransactionFeatures` fields, so `reasons` reads as the schema
does. Counts and amounts enter on a log scale (a 10th payment in a minute is not
ten times as alarming as the first); a card's first payment has no previous one,
which counts as a month ago.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from apps.fraud.features.compute import Features

NAMES = (
    "amountEur",
    "amountZScore",
    "amountToMeanRatio",
    "cardHistoryCount",
    "countLastMinute",
    "countLastHour",
    "firstAtMerchant",
    "firstInCountry",
    "secondsSincePrevious",
)
# the GraphQL selection the anomaly subgraph @requires
SELECTION = "features { " + " ".join(NAMES) + " }"
NO_PREVIOUS_S = 30 * 24 * 3600.0


def vector(f: Features) -> list[float]:
    since = NO_PREVIOUS_S if f.seconds_since_previous is None else f.seconds_since_previous
    return [
        math.log1p(max(f.amount_eur, 0.0)),
        max(min(f.amount_z_score, 20.0), -5.0),
        math.log(max(f.amount_to_mean_ratio, 1e-3)),
        math.log1p(f.card_history_count),
        math.log1p(f.count_last_minute),
        math.log1p(f.count_last_hour),
        float(f.first_at_merchant),
        float(f.first_in_country),
        math.log1p(max(since, 0.0)),
    ]


def features_from_graphql(value: Mapping[str, Any]) -> Features:
    """`TransactionFeatures` as the router sends it in a representation; KeyError if incomplete."""
    return Features(
        amount_eur=float(value["amountEur"]),
        amount_z_score=float(value["amountZScore"]),
        amount_to_mean_ratio=float(value["amountToMeanRatio"]),
        card_history_count=int(value["cardHistoryCount"]),
        count_last_minute=int(value["countLastMinute"]),
        count_last_hour=int(value["countLastHour"]),
        first_at_merchant=bool(value["firstAtMerchant"]),
        first_in_country=bool(value["firstInCountry"]),
        seconds_since_previous=(
            None if value["secondsSincePrevious"] is None else float(value["secondsSincePrevious"])
        ),
    )
