"""Aligning character spans with word pieces, and decoding BIO tags back to spans.

The tagger labels *words* as the tokenizer's pre-tokenizer splits them
(whitespace and punctuation); a word's state is the mean of its pieces, so a
rare name split into many pieces is judged on all of them. Decoding is a
constrained Viterbi pass so that an ``I-x`` never follows ``O`` or another type.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.nlu.examples import Span

IGNORE = -100


def tag_names(entity_types: Sequence[str]) -> list[str]:
    """``O`` first, then ``B-x``/``I-x`` for each type in sorted order."""
    tags = ["O"]
    for t in sorted(entity_types):
        tags += [f"B-{t}", f"I-{t}"]
    return tags


@dataclass(slots=True)
class Encoded:
    """One tokenised utterance: piece ids, each piece's word (-1: special), word char ranges."""

    input_ids: list[int]
    piece_words: list[int]
    word_ranges: list[tuple[int, int]]


def encode(tokenizer: object, texts: Sequence[str], max_length: int) -> list[Encoded]:
    """Tokenise ``texts`` (fast tokenizer) and collect word boundaries."""
    batch = tokenizer(  # type: ignore[operator]
        list(texts),
        truncation=True,
        max_length=max_length,
        return_offsets_mapping=True,
        add_special_tokens=True,
    )
    out = []
    for i in range(len(texts)):
        word_ids = batch.word_ids(i)
        offsets = batch["offset_mapping"][i]
        piece_words: list[int] = []
        ranges: list[tuple[int, int]] = []
        prev: int | None = None
        for pos, wid in enumerate(word_ids):
            if wid is None:
                piece_words.append(-1)
                continue
            start, end = offsets[pos]
            if wid != prev:
                ranges.append((start, end))
                prev = wid
            else:
                ranges[-1] = (ranges[-1][0], end)
            piece_words.append(len(ranges) - 1)
        out.append(Encoded(list(batch["input_ids"][i]), piece_words, ranges))
    return out


def word_tags(word_ranges: Sequence[tuple[int, int]], spans: Sequence[Span]) -> list[str]:
    """BIO tag per word: the first word overlapping a span is B, later ones I."""
    tags = ["O"] * len(word_ranges)
    for span in spans:
        inside = False
        for i, (ws, we) in enumerate(word_ranges):
            if ws < span.end and span.start < we:
                tags[i] = ("I-" if inside else "B-") + span.entity
                inside = True
    return tags


def allowed_transitions(tags: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Masks: ``start[j]`` may open a sentence; ``trans[i, j]`` may follow ``i``."""
    n = len(tags)
    start = np.ones(n, dtype=bool)
    trans = np.ones((n, n), dtype=bool)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            start[j] = False
            typ = tag[2:]
            for i, prev in enumerate(tags):
                trans[i, j] = prev in (f"B-{typ}", f"I-{typ}")
    return start, trans


def viterbi(log_probs: np.ndarray, start_ok: np.ndarray, trans_ok: np.ndarray) -> list[int]:
    """Best tag path under the BIO constraints (``log_probs``: words x tags)."""
    n_words = log_probs.shape[0]
    if n_words == 0:
        return []
    neg = np.float32(-1e9)
    trans_pen = np.where(trans_ok, np.float32(0.0), neg)
    score = np.where(start_ok, log_probs[0], neg)
    back = np.zeros((n_words, log_probs.shape[1]), dtype=np.int64)
    for t in range(1, n_words):
        cand = score[:, None] + trans_pen
        back[t] = cand.argmax(axis=0)
        score = cand.max(axis=0) + log_probs[t]
    path = [int(score.argmax())]
    for t in range(n_words - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]
