"""The garbage collector of a serving subgraph, tuned once everything has loaded.

A subgraph process holds a large, long-lived heap (torch and transformers modules,
model weights, the schema), and each request allocates a few thousand short-lived
objects, nearly all freed by reference counting. With CPython's defaults the young
generation is collected every 700 allocations, often several times a request, and each
older collection walks that whole start-up heap again. Once the models and start-up
hooks are done, the kit moves everything alive out of the collector's reach
(`gc.freeze`) and raises the young threshold. Both are on by default:

    CHORUS_GC_FREEZE=0              keep the start-up heap under the collector
    CHORUS_GC_YOUNG_THRESHOLD=700   CPython's own threshold (0 also keeps it)

Frozen objects are still freed when their last reference goes; a served model's swap
to a new version refreezes (`refreeze`), so reference cycles among the replaced
version's objects are collected too. The collector calls are the router's
(`router/server/heap.py`): the kit reads its settings from the environment.
"""

from __future__ import annotations

import os

from router.server.heap import refreeze, tune_for_serving

__all__ = ["FREEZE_ENV", "YOUNG_THRESHOLD_ENV", "refreeze", "tune_heap"]

FREEZE_ENV = "CHORUS_GC_FREEZE"
YOUNG_THRESHOLD_ENV = "CHORUS_GC_YOUNG_THRESHOLD"
_DEFAULT_YOUNG_THRESHOLD = 20_000


def _young_threshold() -> int:
    raw = os.environ.get(YOUNG_THRESHOLD_ENV, "").strip()
    if not raw:
        return _DEFAULT_YOUNG_THRESHOLD
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{YOUNG_THRESHOLD_ENV} must be an integer, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{YOUNG_THRESHOLD_ENV} must be >= 0, got {value}")
    return value


async def tune_heap() -> None:
    """The kit's last start-up hook: freeze the heap, raise the young threshold."""
    threshold = _young_threshold()
    tune_for_serving(threshold, freeze=os.environ.get(FREEZE_ENV, "1").strip() != "0")
