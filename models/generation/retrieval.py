"""Retrieval response selection: the FAQ answer whose questions are nearest to the user's text.

Like Rasa's ResponseSelector, but without training: every question of the bank
is encoded once at start-up, and a query is answered by cosine top-1 over them
(an entry scores as its best question). Below the bank's threshold nothing is
retrieved and the caller falls back to the action's template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.generation.faq import FaqBank, FaqEntry

if TYPE_CHECKING:
    import torch

Embed = Callable[[list[str]], "torch.Tensor"]


@dataclass(frozen=True)
class Match:
    entry: FaqEntry
    question: str
    score: float
    accepted: bool


class FaqSelector:
    """Cosine top-1 over an encoded FAQ bank."""

    def __init__(self, bank: FaqBank, embed: Embed) -> None:
        self.bank = bank
        self._owners: list[int] = []
        self._questions: list[str] = []
        for index, entry in enumerate(bank.entries):
            for question in entry.questions:
                self._owners.append(index)
                self._questions.append(question)
        self._matrix = embed(self._questions) if self._questions else None

    @property
    def size(self) -> int:
        return len(self.bank.entries)

    def select(self, query_vectors: torch.Tensor) -> list[Match | None]:
        """Best entry per query vector (rows must be unit length, like the bank's)."""
        if self._matrix is None:
            return [None] * int(query_vectors.shape[0])
        scores = query_vectors @ self._matrix.T
        best = scores.max(dim=1)
        matches: list[Match | None] = []
        for score, column in zip(best.values.tolist(), best.indices.tolist(), strict=True):
            entry = self.bank.entries[self._owners[column]]
            matches.append(
                Match(entry, self._questions[column], score, score >= self.bank.threshold)
            )
        return matches
