"""`BoundedMap`: a dict with a size bound that drops its oldest entry first.

The kit's per-schema caches (validated documents, operation plans) are read on every
request and written once per new query text. First-in first-out eviction keeps a hit at
one dict lookup: no reordering as a least-recently-used map would do on every read.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedMap(Generic[K, V]):
    """Key -> value, at most `maxsize` entries; a new key beyond that drops the oldest."""

    def __init__(self, maxsize: int = 1024) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries: dict[K, V] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        entries = self._entries
        if key not in entries and len(entries) >= self.maxsize:
            del entries[next(iter(entries))]
        entries[key] = value

    def values(self) -> Iterator[V]:
        """The entries' values, oldest first."""
        return iter(list(self._entries.values()))
