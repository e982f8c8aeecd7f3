"""Garbage-collector settings for a serving router process.

A request allocates a few thousand short-lived objects; with CPython's default
threshold (700) the collector runs every few requests, and each full collection
walks the schema, plans and caches that live as long as the process (16 % of
the router's CPU under load in bench/router, measured with py-spy). Freezing
the start-up heap moves those objects out of the collector's sight, and a
larger first threshold makes young collections rarer without holding much more
garbage (cycles are rare on the hot path: most objects die by refcount).
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_THRESHOLD", "refreeze", "tune_for_serving"]

#: allocations between young-generation collections (CPython's default: 700)
YOUNG_THRESHOLD = 20_000


def tune_for_serving(young_threshold: int = YOUNG_THRESHOLD, *, freeze: bool = True) -> None:
    """Call once the app is built, just before serving (not in tests' processes).

    The kit's subgraphs call it too, once their models have loaded (`subgraphs/kit/heap.py`,
    with their environment's settings); `young_threshold=0` keeps CPython's.
    """
    if freeze:
        gc.collect()
        gc.freeze()
    if young_threshold:
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(young_threshold, older, oldest)


def refreeze() -> None:
    """After a supergraph reload or a model swap: let what was replaced be collected (its
    reference cycles too), freeze what serves now. Nothing when the heap is not frozen."""
    if gc.get_freeze_count() == 0:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()
