"""The kit's bounded first-in first-out map behind its per-schema caches."""

from __future__ import annotations

import pytest

from subgraphs.kit.bounded_map import BoundedMap


def test_a_new_key_beyond_the_bound_drops_the_oldest_entry() -> None:
    entries: BoundedMap[str, int] = BoundedMap(maxsize=2)
    entries.put("a", 1)
    entries.put("b", 2)
    entries.put("c", 3)
    assert len(entries) == 2
    assert entries.get("a") is None
    assert list(entries.values()) == [2, 3]


def test_replacing_a_key_keeps_the_others() -> None:
    entries: BoundedMap[str, int] = BoundedMap(maxsize=2)
    entries.put("a", 1)
    entries.put("b", 2)
    entries.put("a", 10)
    assert (entries.get("a"), entries.get("b"), len(entries)) == (10, 2, 2)


def test_reads_do_not_reorder_eviction() -> None:
    entries: BoundedMap[str, int] = BoundedMap(maxsize=2)
    entries.put("a", 1)
    entries.put("b", 2)
    assert entries.get("a") == 1
    entries.put("c", 3)
    assert entries.get("a") is None and entries.get("b") == 2


def test_the_bound_must_hold_an_entry() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        BoundedMap(maxsize=0)
