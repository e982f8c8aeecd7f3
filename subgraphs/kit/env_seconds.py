"""Durations the kit reads from the environment (model polls, access-log batches)."""

from __future__ import annotations

import os


def seconds_from_env(variable: str, default: float) -> float:
    """`variable` as a number of seconds ≥ 0, `default` when unset or empty; else ValueError
    (whitespace alone is not a number, as `CHORUS_MODEL_POLL_S` always treated it)."""
    raw = os.environ.get(variable)
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        raise ValueError(f"{variable}={raw!r} is not a number of seconds") from None
    if seconds < 0:
        raise ValueError(f"{variable}={raw!r} must not be negative")
    return seconds
