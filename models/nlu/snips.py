"""Reader for SNIPS-style folders: ``seq.in`` / ``seq.out`` (BIO) / ``label``."""

from __future__ import annotations

from pathlib import Path

from models.nlu.examples import Example, Span, TrainingData
from models.nlu.metrics import bio_chunks


def is_snips_split(path: str | Path) -> bool:
    p = Path(path)
    return all((p / name).is_file() for name in ("seq.in", "seq.out", "label"))


def is_snips_dataset(path: str | Path) -> bool:
    p = Path(path)
    return is_snips_split(p / "train")


def read_snips_split(path: str | Path) -> TrainingData:
    """One split folder; words are re-joined with single spaces."""
    p = Path(path)
    words_lines = (p / "seq.in").read_text(encoding="utf-8").splitlines()
    tag_lines = (p / "seq.out").read_text(encoding="utf-8").splitlines()
    labels = (p / "label").read_text(encoding="utf-8").splitlines()
    if not len(words_lines) == len(tag_lines) == len(labels):
        raise ValueError(f"{p}: seq.in, seq.out and label have different line counts")
    examples = []
    for n, (wl, tl, label) in enumerate(zip(words_lines, tag_lines, labels, strict=True), 1):
        words, tags = wl.split(), tl.split()
        if len(words) != len(tags):
            raise ValueError(f"{p}: line {n} has {len(words)} words but {len(tags)} tags")
        examples.append(Example(" ".join(words), label.strip(), tuple(_spans(words, tags))))
    return TrainingData(examples=examples)


def _spans(words: list[str], tags: list[str]) -> list[Span]:
    starts, pos = [], 0
    for w in words:
        starts.append(pos)
        pos += len(w) + 1
    text = " ".join(words)
    spans = []
    for first, last, entity in bio_chunks(tags):
        start, end = starts[first], starts[last] + len(words[last])
        spans.append(Span(start, end, entity, text[start:end]))
    return spans
