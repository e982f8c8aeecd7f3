"""Durations the kit reads from the environment (model polls, access-log batches)."""

from __future__ import annotations

import os


def seconds_from_env(variable: str, default: float) -> float:
    """`variable` as a number of seconds ≥ 0, `default` when unset or blank; else ValueError."""
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"{variable}={raw!r} is not a number of seconds") from None
    if seconds < 0:
        raise ValueError(f"{variable}={raw!r} must not be negative")
    return seconds
