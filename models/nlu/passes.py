"""Splitting a batch into forward passes of similar length (padding-aware batching).

A pass costs a fixed overhead (Python and per-operator dispatch, the same for one
utterance or thirty-two) plus work proportional to its padded size, rows times
the longest row. Sorting by length and cutting where that total is smallest is a
small dynamic programme; it keeps a short "hi" from being padded to the length
of a long, detailed request without scattering a batch into many tiny passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise


def plan_passes(lengths: Sequence[int], *, max_size: int, pass_cost: float) -> list[range]:
    """Cut ascending ``lengths`` into consecutive ranges of at most ``max_size`` items.

    Minimises ``sum(len(range) * max(lengths in range)) + pass_cost * len(ranges)``,
    with ``pass_cost`` in the units of ``lengths`` (tokens).
    """
    n = len(lengths)
    if n == 0:
        return []
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
    if any(b < a for a, b in pairwise(lengths)):
        raise ValueError("lengths must be sorted in ascending order")
    best = [0.0] + [float("inf")] * n
    cut = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(end - 1, max(0, end - max_size) - 1, -1):  # ties: fill early passes
            cost = best[start] + (end - start) * lengths[end - 1] + pass_cost
            if cost < best[end]:
                best[end], cut[end] = cost, start
    passes: list[range] = []
    end = n
    while end > 0:
        passes.append(range(cut[end], end))
        end = cut[end]
    return passes[::-1]
