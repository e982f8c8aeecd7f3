"""The rule layer (regex, lookup, synonyms) and BIO alignment/decoding."""

from __future__ import annotations

import numpy as np

from models.nlu.examples import RegexPattern, Span
from models.nlu.rules import RuleLayer
from models.nlu.tagging import allowed_transitions, tag_names, viterbi, word_tags
from models.nlu.understanding import ExtractedEntity


def _rules() -> RuleLayer:
    return RuleLayer(
        synonyms={"Two": "2", "tonight": "today", "sushi": "japanese"},
        regexes=[
            RegexPattern("time", r"\b\d{1,2}(:\d{2})?\s?(am|pm)\b"),
            RegexPattern("party_size", r"\b(?:for|party of)\s+(?P<value>\d{1,2})\b"),
        ],
        lookups={"cuisine": ["thai", "sri lankan", "sri", "sushi"]},
    )


def test_regex_lookup_and_synonyms() -> None:
    text = "Sushi or Sri Lankan for 4 at 7:30 PM"
    found = _rules().extract(text)
    as_tuples = [(e.type, e.value, e.text, e.start, e.end, e.extractor) for e in found]
    assert as_tuples == [
        ("cuisine", "japanese", "Sushi", 0, 5, "lookup"),
        ("cuisine", "sri lankan", "Sri Lankan", 9, 19, "lookup"),  # longest wins, table spelling
        ("party_size", "4", "4", 24, 25, "regex"),  # the named group only
        ("time", "7:30 PM", "7:30 PM", 29, 36, "regex"),
    ]
    assert all(e.confidence == 1.0 for e in found)


def test_lookup_respects_word_boundaries() -> None:
    assert _rules().extract("thailand and srivijaya") == []


def test_merge_keeps_learned_entities_and_normalises_them() -> None:
    rules = _rules()
    text = "table for Two tonight at 7pm"
    learned = [
        ExtractedEntity("party_size", "Two", "Two", 10, 13, 0.9, "minilm"),
        ExtractedEntity("date", "tonight", "tonight", 14, 21, 0.8, "minilm"),
    ]
    merged = rules.merge(text, learned)
    assert [(e.type, e.value, e.extractor) for e in merged] == [
        ("party_size", "2", "minilm"),
        ("date", "today", "minilm"),
        ("time", "7pm", "regex"),
    ]
    thai = [ExtractedEntity("cuisine", "Thai", "Thai", 0, 4, 0.9, "minilm")]
    assert rules.merge("Thai food", thai)[0].value == "thai"
    # Lookup spellings only apply to their own entity type.
    other = [ExtractedEntity("name", "Thai", "Thai", 0, 4, 0.9, "minilm")]
    assert rules.merge("Thai food", other)[0].value == "Thai"


def test_rules_round_trip_through_json() -> None:
    rules = _rules()
    again = RuleLayer.from_json(rules.to_json())
    text = "thai for 2 at 8pm tonight"
    assert again.extract(text) == rules.extract(text)
    assert again.normalise("TONIGHT") == "today"


def test_word_tags_from_character_spans() -> None:
    ranges = [(0, 5), (6, 9), (10, 13), (14, 16), (17, 20)]  # "table for two at 7 pm"-like
    spans = [Span(10, 13, "size", "2"), Span(14, 20, "time", "at 7pm")]
    assert word_tags(ranges, spans) == ["O", "O", "B-size", "B-time", "I-time"]


def test_viterbi_never_starts_an_entity_with_inside() -> None:
    tags = tag_names(["a", "b"])
    assert tags == ["O", "B-a", "I-a", "B-b", "I-b"]
    start, trans = allowed_transitions(tags)
    # Word 0 prefers I-a (illegal at start), word 1 prefers I-b (illegal after B-a).
    probs = np.array(
        [
            [0.1, 0.35, 0.45, 0.05, 0.05],
            [0.1, 0.05, 0.3, 0.05, 0.5],
        ]
    )
    path = viterbi(np.log(probs), start, trans)
    assert [tags[i] for i in path] == ["B-a", "I-a"]
    assert viterbi(np.zeros((0, 5)), start, trans) == []


def test_encode_maps_pieces_to_words_and_characters() -> None:
    from models.encoder import load_tokenizer
    from models.nlu.tagging import encode

    text = "Book Abacab's table at 7:30pm"
    (enc,) = encode(load_tokenizer(), [text], max_length=64)
    words = [text[s:e] for s, e in enc.word_ranges]
    assert words == ["Book", "Abacab", "'", "s", "table", "at", "7", ":", "30pm"]
    assert enc.piece_words[0] == -1 and enc.piece_words[-1] == -1  # [CLS], [SEP]
    inner = enc.piece_words[1:-1]
    assert inner == sorted(inner) and set(inner) == set(range(len(words)))
    assert len(enc.input_ids) == len(enc.piece_words)
    spans = [Span(5, 11, "name", "Abacab"), Span(23, 29, "time", "7:30pm")]
    assert word_tags(enc.word_ranges, spans) == [
        "O", "B-name", "O", "O", "O", "O", "B-time", "I-time", "I-time",
    ]  # fmt: skip
