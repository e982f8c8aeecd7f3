"""Writing the YAML training format: corrections exported alone, or merged into a training
file where they replace the shipped examples of the same sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.nlu.examples import Example, Span
from models.nlu.yaml_format import (
    TrainingDataError,
    format_example,
    merge_training_yaml,
    parse_training_yaml,
)

REPO = Path(__file__).resolve().parents[3]
CONCIERGE = REPO / "apps" / "concierge" / "data" / "nlu.yml"

FIVE = Example("a table for five tonight", "book_table", (Span(12, 16, "party_size", "5"),))
TWO = Example("table for two", "book_table", (Span(10, 13, "party_size", "two"),))


def test_examples_round_trip_through_annotated_lines() -> None:
    assert (
        format_example(FIVE) == 'a table for [five]{"entity": "party_size", "value": "5"} tonight'
    )
    assert format_example(TWO) == "table for [two](party_size)"
    text, _ = merge_training_yaml(None, [FIVE, TWO, Example("where are you", "ask_location")])
    parsed = parse_training_yaml(text)
    assert parsed.examples == [FIVE, TWO, Example("where are you", "ask_location")]


def test_lines_that_would_not_read_back_are_refused() -> None:
    for bad in (
        Example("see [this](x) here", "inform"),  # brackets that read as an annotation
        Example("two\nlines", "inform"),
        Example("abc", "inform", (Span(0, 2, "a", "ab"), Span(1, 3, "b", "bc"))),
    ):
        with pytest.raises(TrainingDataError):
            format_example(bad)


def test_merged_corrections_replace_shipped_examples_of_the_same_sentence() -> None:
    shipped = CONCIERGE.read_text()
    base = parse_training_yaml(shipped)
    greeting = Example("HELLO   there", "ask_hours")  # a shipped sentence, another intent
    text, replaced = merge_training_yaml(shipped, [greeting, FIVE], comment="two corrections")
    merged = parse_training_yaml(text)
    assert text.startswith("# two corrections\n")
    assert replaced == 1
    assert [e for e in merged.examples if e.text.lower() == "hello there"] == []
    assert merged.examples[-2:] == [greeting, FIVE]  # grouped by intent, in order
    assert len(merged.examples) == len(base.examples) - 1 + 2
    # synonyms, regexes and lookups are kept
    assert merged.synonyms == base.synonyms
    assert merged.regexes == base.regexes and merged.lookups == base.lookups
    assert merge_training_yaml(None, [])[0].endswith("nlu: []\n")
