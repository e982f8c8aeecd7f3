"""Reader for the Rasa-like YAML training format.

```yaml
version: "1"
nlu:
  - intent: book_table
    examples: |
      - table for [two](party_size) at [7pm](time)
      - book [tonight]{"entity": "date", "value": "today"}
  - synonym: "2"
    examples: |
      - two
  - regex: time
    examples: |
      - \\b\\d{1,2}(:\\d{2})?\\s?(am|pm)\\b
  - lookup: cuisine
    examples: |
      - italian
```
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from models.nlu.examples import Example, RegexPattern, Span, TrainingData

# [covered text](entity) or [covered text]{"entity": "...", "value": "..."}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<long>\{[^}]*\}))")


class TrainingDataError(ValueError):
    """The training file is malformed; the message says where."""


def parse_annotated(line: str, synonyms: dict[str, str] | None = None) -> tuple[str, list[Span]]:
    """Strip inline annotations from ``line``; return plain text and spans.

    ``{"value": ...}`` annotations also register a synonym (as Rasa does), so
    the same surface form is normalised at inference time.
    """
    text_parts: list[str] = []
    spans: list[Span] = []
    cursor = 0
    length = 0
    for match in _ANNOTATION.finditer(line):
        before = line[cursor : match.start()]
        text_parts.append(before)
        length += len(before)
        covered = match.group("text")
        if match.group("short") is not None:
            entity, value = _parse_short(match.group("short"), line), covered
        else:
            entity, value = _parse_long(match.group("long"), covered, line)
            if value != covered and synonyms is not None:
                synonyms[covered.lower()] = value
        spans.append(Span(length, length + len(covered), entity, value))
        text_parts.append(covered)
        length += len(covered)
        cursor = match.end()
    text_parts.append(line[cursor:])
    return "".join(text_parts), spans


def _parse_short(inner: str, line: str) -> str:
    entity = inner.strip()
    if not entity or ":" in entity:
        raise TrainingDataError(f"bad entity annotation ({inner}) in: {line!r}")
    return entity


def _parse_long(raw: str, covered: str, line: str) -> tuple[str, str]:
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise TrainingDataError(f"bad JSON entity annotation {raw} in: {line!r}") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("entity"), str):
        raise TrainingDataError(f'annotation needs "entity": {raw} in: {line!r}')
    value = obj.get("value", covered)
    return obj["entity"], str(value)


def _example_lines(block: Any, where: str) -> list[str]:
    if isinstance(block, list):
        return [str(x).strip() for x in block if str(x).strip()]
    if not isinstance(block, str):
        raise TrainingDataError(f"{where}: 'examples' must be a block of '- ' lines")
    lines = []
    for raw in block.splitlines():
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith("- "):
            raise TrainingDataError(f"{where}: example line must start with '- ': {raw!r}")
        lines.append(stripped[2:].strip())
    return lines


def parse_training_yaml(source: str) -> TrainingData:
    """Parse the YAML text of a training file."""
    doc = yaml.safe_load(source)
    if not isinstance(doc, dict) or not isinstance(doc.get("nlu"), list):
        raise TrainingDataError("training data needs a top-level 'nlu:' list")
    data = TrainingData()
    for i, item in enumerate(doc["nlu"]):
        if not isinstance(item, dict):
            raise TrainingDataError(f"nlu[{i}] must be a mapping")
        block = item.get("examples", "")
        if "intent" in item:
            intent = str(item["intent"])
            for line in _example_lines(block, f"intent {intent}"):
                text, spans = parse_annotated(line, data.synonyms)
                data.examples.append(Example(text, intent, tuple(spans)))
        elif "synonym" in item:
            value = str(item["synonym"])
            for line in _example_lines(block, f"synonym {value}"):
                data.synonyms[line.lower()] = value
        elif "regex" in item:
            name = str(item["regex"])
            for line in _example_lines(block, f"regex {name}"):
                try:
                    re.compile(line)
                except re.error as exc:
                    raise TrainingDataError(
                        f"regex {name}: invalid pattern {line!r}: {exc}"
                    ) from exc
                data.regexes.append(RegexPattern(name, line))
        elif "lookup" in item:
            name = str(item["lookup"])
            data.lookups.setdefault(name, []).extend(_example_lines(block, f"lookup {name}"))
        else:
            raise TrainingDataError(f"nlu[{i}] needs one of intent, synonym, regex, lookup")
    # Spans keep the value written in the file; synonyms declared anywhere apply.
    data.examples = [_normalise(e, data.synonyms) for e in data.examples]
    return data


def _normalise(example: Example, synonyms: dict[str, str]) -> Example:
    spans = tuple(
        Span(s.start, s.end, s.entity, synonyms.get(s.value.lower(), s.value))
        if s.value == example.text[s.start : s.end]
        else s
        for s in example.spans
    )
    return Example(example.text, example.intent, spans)


def load_training_yaml(path: str | Path) -> TrainingData:
    return parse_training_yaml(Path(path).read_text(encoding="utf-8"))


# ---- writing: corrections exported as training data, and merged into a training file


def normalise_text(text: str) -> str:
    """The key two utterances share when they are the same sentence (case, spacing)."""
    return " ".join(text.lower().split())


def format_example(example: Example) -> str:
    """One example as an annotated line, ``[covered](entity)`` or the JSON form with a value.

    Raises TrainingDataError when the line would not read back as the same example
    (a text with brackets that look like an annotation, a line break, overlapping spans).
    """
    parts: list[str] = []
    cursor = 0
    for span in sorted(example.spans, key=lambda s: s.start):
        if span.start < cursor or not 0 <= span.start < span.end <= len(example.text):
            raise TrainingDataError(f"bad or overlapping entity span in {example.text!r}")
        covered = example.text[span.start : span.end]
        parts.append(example.text[cursor : span.start])
        if span.value == covered:
            parts.append(f"[{covered}]({span.entity})")
        else:
            annotation = json.dumps({"entity": span.entity, "value": span.value})
            parts.append(f"[{covered}]{annotation}")
        cursor = span.end
    parts.append(example.text[cursor:])
    line = "".join(parts)
    text, spans = parse_annotated(line)
    if "\n" in line or text != example.text or tuple(spans) != tuple(example.spans):
        raise TrainingDataError(
            f"{example.text!r} cannot be written in the training format "
            "(line breaks, or brackets that read as an annotation)"
        )
    return line


def _block(key: str, name: str, lines: list[str]) -> list[str]:
    out = [f"  - {key}: {json.dumps(name)}", "    examples: |"]
    out += [f"      - {line}" for line in lines]
    return out


def merge_training_yaml(
    source: str | None, extra: list[Example], comment: str = ""
) -> tuple[str, int]:
    """A training file: `source`'s content plus the `extra` examples, and how many it replaced.

    An example of `source` whose text is one of `extra`'s (case and spacing aside) is
    left out: the extra one, a human's correction, says what that sentence means.
    Synonyms, regexes and lookups are kept. `source` None: the extra examples alone.
    """
    if source is not None:
        parse_training_yaml(source)  # a clear error for a malformed base file
    items = (yaml.safe_load(source) or {}).get("nlu", []) if source is not None else []
    keys = {normalise_text(e.text) for e in extra}
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    body: list[str] = []
    replaced = 0
    for item in items:
        kind = next(k for k in ("intent", "synonym", "regex", "lookup") if k in item)
        examples = _example_lines(item.get("examples", ""), f"{kind} {item[kind]}")
        if kind == "intent":
            kept = [
                line for line in examples if normalise_text(parse_annotated(line)[0]) not in keys
            ]
            replaced += len(examples) - len(kept)
            examples = kept
            if not examples:
                continue
        body += _block(kind, str(item[kind]), examples)
    by_intent: dict[str, list[str]] = {}
    for example in extra:
        by_intent.setdefault(example.intent, []).append(format_example(example))
    for intent, examples in by_intent.items():
        body += _block("intent", intent, examples)
    lines += ['version: "1"', "nlu:" if body else "nlu: []", *body]
    text = "\n".join(lines) + "\n"
    parse_training_yaml(text)  # what we write reads back
    return text, replaced
