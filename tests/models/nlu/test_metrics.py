"""Metrics against hand-computed cases, including partial-span slot errors."""

from __future__ import annotations

import pytest

from models.nlu.metrics import PRF, bio_chunks, evaluate


def test_bio_chunks_follow_conlleval() -> None:
    tags = ["B-a", "I-a", "O", "I-b", "I-b", "B-b", "I-a", "O", "B-c"]
    # I- after O opens a chunk; I- of another type opens a chunk; B- closes the previous one.
    assert bio_chunks(tags) == [(0, 1, "a"), (3, 4, "b"), (5, 5, "b"), (6, 6, "a"), (8, 8, "c")]
    assert bio_chunks([]) == []
    assert bio_chunks(["O", "O"]) == []
    assert bio_chunks(["B-x", "I-x"]) == [(0, 1, "x")]


def test_prf_counts() -> None:
    m = PRF.from_counts(tp=2, n_pred=4, n_gold=3)
    assert m.precision == pytest.approx(0.5)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert PRF.from_counts(0, 0, 0).f1 == 0.0


def test_partial_spans_count_as_both_a_miss_and_a_false_alarm() -> None:
    gold_intents = ["book", "book", "hours", "greet"]
    pred_intents = ["book", "book", "book", "greet"]
    gold = [
        {(0, 3, "time"), (5, 7, "size")},  # one exact, one partial
        {(2, 9, "date")},  # predicted with a wrong type
        set(),
        {(0, 4, "name")},  # missed entirely
    ]
    pred = [
        {(0, 3, "time"), (5, 6, "size")},
        {(2, 9, "time")},
        {(1, 2, "size")},  # spurious
        set(),
    ]
    report = evaluate(gold_intents, pred_intents, gold, pred)
    # tp = 1, predicted = 4, gold = 4  -> P = R = F1 = 0.25
    assert report.slot_precision == pytest.approx(0.25)
    assert report.slot_recall == pytest.approx(0.25)
    assert report.slot_f1 == pytest.approx(0.25)
    assert report.intent_accuracy == pytest.approx(0.75)
    # Sentence accuracy needs the intent and every span right: none of the four is.
    assert report.sentence_accuracy == pytest.approx(0.0)
    assert report.n == 4
    # per intent: "book" predicted 3 times, right twice; gold 2 -> P 2/3, R 1
    book = report.per_intent["book"]
    assert (book.precision, book.recall, book.support) == (pytest.approx(2 / 3), 1.0, 2)
    hours = report.per_intent["hours"]
    assert (hours.precision, hours.recall, hours.f1) == (0.0, 0.0, 0.0)
    assert report.confusions == [("hours", "book", 1)]
    assert report.per_entity["size"].precision == 0.0
    assert report.per_entity["time"].recall == 1.0
    assert report.per_entity["time"].precision == pytest.approx(0.5)


def test_all_correct_and_sentence_accuracy() -> None:
    report = evaluate(["a", "b"], ["a", "b"], [{(0, 1, "x")}, set()], [{(0, 1, "x")}, set()])
    assert report.intent_accuracy == report.slot_f1 == report.sentence_accuracy == 1.0
    summary = report.summary()
    assert summary == {"n": 2.0, "intent_accuracy": 1.0, "slot_f1": 1.0, "sentence_accuracy": 1.0}


def test_no_entities_anywhere_is_perfect_slot_filling() -> None:
    assert evaluate(["a"], ["b"], [set()], [set()]).slot_f1 == 1.0


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError):
        evaluate(["a"], [], [set()], [set()])
