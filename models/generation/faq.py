"""The FAQ bank: canned answers, each with the questions it answers.

Format (the file the generation subgraph's CHORUS_GENERATION_FAQ names)::

    threshold: 0.5            # cosine similarity below which nothing is retrieved
    actions: [utter_faq]      # actions answered by retrieval over the user's text
    entries:
      - key: parking
        questions: ["is there parking", ...]
        answer: "..."
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

DEFAULT_THRESHOLD = 0.5


class FaqError(ValueError):
    """The FAQ file is malformed; the message says where."""


@dataclass(frozen=True)
class FaqEntry:
    key: str
    questions: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class FaqBank:
    entries: tuple[FaqEntry, ...]
    threshold: float = DEFAULT_THRESHOLD
    actions: frozenset[str] = frozenset()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FaqBank:
        raw_entries = data.get("entries") or []
        if not isinstance(raw_entries, list):
            raise FaqError("entries must be a list")
        entries = []
        seen: set[str] = set()
        for i, raw in enumerate(raw_entries):
            if not isinstance(raw, Mapping):
                raise FaqError(f"entries[{i}] must be a mapping")
            key = str(raw.get("key") or "").strip()
            questions = tuple(str(q).strip() for q in raw.get("questions") or [] if str(q).strip())
            answer = str(raw.get("answer") or "").strip()
            if not key or not questions or not answer:
                raise FaqError(f"entries[{i}] needs a key, at least one question and an answer")
            if key in seen:
                raise FaqError(f"entries[{i}]: duplicate key {key!r}")
            seen.add(key)
            entries.append(FaqEntry(key, questions, answer))
        threshold = float(data.get("threshold", DEFAULT_THRESHOLD))
        if not -1.0 <= threshold <= 1.0:
            raise FaqError("threshold is a cosine similarity, between -1 and 1")
        actions = frozenset(str(a) for a in data.get("actions") or [])
        return cls(tuple(entries), threshold, actions)

    @classmethod
    def from_file(cls, path: str | Path) -> FaqBank:
        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise FaqError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(data, Mapping):
            raise FaqError(f"{path}: the top level must be a mapping")
        try:
            return cls.from_mapping(data)
        except FaqError as exc:
            raise FaqError(f"{path}: {exc}") from exc

    def digest(self) -> str:
        raw = json.dumps(
            [[e.key, list(e.questions), e.answer] for e in self.entries], ensure_ascii=False
        ).encode()
        return hashlib.sha256(raw).hexdigest()
