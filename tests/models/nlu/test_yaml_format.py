"""The Rasa-like YAML training format and the SNIPS reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.nlu.datasets import load_eval_examples, load_training_set
from models.nlu.examples import Span
from models.nlu.snips import read_snips_split
from models.nlu.yaml_format import TrainingDataError, parse_annotated, parse_training_yaml

REPO = Path(__file__).resolve().parents[3]

DOC = r"""
version: "1"
nlu:
  - intent: book_table
    examples: |
      - table for [two](party_size) at [7pm](time)
      - book [tonight]{"entity": "date", "value": "today"} please
      - [Ana](name)
  - intent: greet
    examples: |
      - hi
  - synonym: "2"
    examples: |
      - two
      - a couple
  - regex: time
    examples: |
      - \b\d{1,2}\s?(am|pm)\b
  - lookup: cuisine
    examples: |
      - italian
      - sri lankan
"""


def test_inline_annotations_become_character_spans() -> None:
    text, spans = parse_annotated("table for [two](party_size) at [7pm](time)")
    assert text == "table for two at 7pm"
    assert spans == [Span(10, 13, "party_size", "two"), Span(17, 20, "time", "7pm")]
    assert text[10:13] == "two" and text[17:20] == "7pm"


def test_long_form_annotation_sets_value_and_a_synonym() -> None:
    synonyms: dict[str, str] = {}
    text, spans = parse_annotated('book [Tonight]{"entity": "date", "value": "today"}', synonyms)
    assert text == "book Tonight"
    assert spans == [Span(5, 12, "date", "today")]
    assert synonyms == {"tonight": "today"}


def test_document_sections() -> None:
    data = parse_training_yaml(DOC)
    assert data.intents == ["book_table", "greet"]
    assert data.entity_types == ["date", "name", "party_size", "time"]
    first = data.examples[0]
    # The synonym section normalises the annotated value "two".
    assert first.spans[0] == Span(10, 13, "party_size", "2")
    assert data.examples[1].spans[0].value == "today"
    assert data.examples[2] == data.examples[2].__class__(
        "Ana", "book_table", (Span(0, 3, "name", "Ana"),)
    )
    assert data.synonyms == {"tonight": "today", "two": "2", "a couple": "2"}
    assert [(r.name, r.pattern) for r in data.regexes] == [("time", r"\b\d{1,2}\s?(am|pm)\b")]
    assert data.lookups == {"cuisine": ["italian", "sri lankan"]}
    assert len(data.content_hash()) == 64
    assert data.content_hash() == parse_training_yaml(DOC).content_hash()


@pytest.mark.parametrize(
    "bad",
    [
        "nlu: 3",
        "nlu:\n  - foo: x",
        "nlu:\n  - intent: a\n    examples: |\n      no dash here",
        "nlu:\n  - regex: r\n    examples: |\n      - (unclosed",
        'nlu:\n  - intent: a\n    examples: |\n      - [x]{"value": 1}',
    ],
)
def test_malformed_files_raise_clear_errors(bad: str) -> None:
    with pytest.raises(TrainingDataError):
        parse_training_yaml(bad)


def test_shipped_concierge_data_is_well_formed() -> None:
    ts = load_training_set(REPO / "apps" / "concierge" / "data" / "nlu.yml")
    data = ts.data
    counts = {i: sum(e.intent == i for e in data.examples) for i in data.intents}
    expected = {
        "greet", "goodbye", "thank", "affirm", "deny", "book_table", "change_booking",
        "cancel_booking", "ask_hours", "ask_location", "inform", "out_of_scope",
        "stop",  # leaving a form half-way ("never mind"), added with the test stories
    }  # fmt: skip
    assert set(counts) == expected
    assert min(counts.values()) >= 20
    assert set(data.entity_types) == {"party_size", "date", "time", "cuisine", "name"}
    for ex in data.examples:
        for s in ex.spans:
            assert 0 <= s.start < s.end <= len(ex.text)
            assert ex.text[s.start : s.end].strip() == ex.text[s.start : s.end]
    assert data.synonyms["two"] == "2" and "cuisine" in data.lookups


def _write_snips(folder: Path, lines: list[tuple[str, str, str]]) -> None:
    folder.mkdir(parents=True)
    (folder / "seq.in").write_text("\n".join(x for x, _, _ in lines) + "\n")
    (folder / "seq.out").write_text("\n".join(y + " " for _, y, _ in lines) + "\n")
    (folder / "label").write_text("\n".join(z for _, _, z in lines) + "\n")


def test_snips_reader_turns_bio_into_spans(tmp_path: Path) -> None:
    _write_snips(
        tmp_path / "train",
        [
            ("play the beatles on spotify", "O B-artist I-artist O B-service", "PlayMusic"),
            ("rate it 5", "O O B-rating", "RateBook"),
        ],
    )
    (tmp_path / "valid").mkdir()
    data = read_snips_split(tmp_path / "train")
    a, b = data.examples
    assert a.text == "play the beatles on spotify" and a.intent == "PlayMusic"
    assert a.spans == (Span(5, 16, "artist", "the beatles"), Span(20, 27, "service", "spotify"))
    assert b.spans == (Span(8, 9, "rating", "5"),)
    ts = load_training_set(tmp_path)  # valid/ has no files: no validation split
    assert ts.kind == "snips" and ts.valid is None and len(ts.data.examples) == 2
    examples, source = load_eval_examples(tmp_path / "train")
    assert len(examples) == 2 and source.endswith("train")


def test_snips_reader_rejects_misaligned_lines(tmp_path: Path) -> None:
    _write_snips(tmp_path / "s", [("a b c", "O O", "X")])
    with pytest.raises(ValueError, match="3 words but 2 tags"):
        read_snips_split(tmp_path / "s")
