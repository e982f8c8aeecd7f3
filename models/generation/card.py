"""The generator card: what a model directory needs to be served, beside the HF files.

Our trained generators write `chorus_generation.json` next to the weights. A
directory without it is any Hugging Face causal LM: it is prompted with the
slot values spelled out ("plain" format) and its text is checked as written.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

CARD_FILE = "chorus_generation.json"

Format = Literal["delex", "plain"]


@dataclass(frozen=True)
class GeneratorCard:
    name: str
    version: str
    format: Format = "plain"
    # (action, slots) prompts seen in training; None means "any prompt".
    signatures: list[tuple[str, tuple[str, ...]]] | None = None
    # longest response in training, plus a margin: a tighter budget than the server's
    max_new_tokens: int | None = None
    # Sampling: variety comes from the branch points between variants, where
    # tokens are about equally likely; min_p drops the unlikely noise elsewhere.
    temperature: float = 0.8
    top_k: int = 20
    min_p: float = 0.1
    metrics: dict[str, Any] = field(default_factory=dict)
    data_hash: str = ""

    def knows(self, action: str, slots: list[str]) -> bool:
        if self.signatures is None:
            return True
        return (action, tuple(sorted(slots))) in self._signature_set

    @cached_property
    def _signature_set(self) -> set[tuple[str, tuple[str, ...]]]:
        return {(a, tuple(s)) for a, s in self.signatures or []}

    def save(self, directory: Path) -> None:
        data = asdict(self)
        (directory / CARD_FILE).write_text(json.dumps(data, indent=2, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path) -> GeneratorCard | None:
        path = directory / CARD_FILE
        if not path.exists():
            return None
        data = json.loads(path.read_text())
        signatures = data.get("signatures")
        if signatures is not None:
            data["signatures"] = [(a, tuple(s)) for a, s in signatures]
        return cls(**data)
