"""The fallback threshold chosen on a validation split (models.nlu.thresholds)."""

from __future__ import annotations

import pytest

from models.nlu.thresholds import choose_fallback_threshold


def test_the_threshold_keeps_right_answers_and_catches_wrong_ones() -> None:
    # right answers are confident (>= 0.7), wrong ones are not (<= 0.4)
    confidences = [0.95, 0.9, 0.8, 0.7, 0.4, 0.3]
    right = [True, True, True, True, False, False]
    choice = choose_fallback_threshold(confidences, [1.0] * 6, right, ambiguity=0.1)
    assert 0.4 < choice.threshold <= 0.7
    assert (choice.kept_right, choice.caught_wrong, choice.n) == (4, 2, 6)


def test_a_confident_wrong_answer_is_not_worth_losing_right_ones() -> None:
    confidences = [0.95, 0.6, 0.55, 0.9]
    right = [True, True, True, False]
    choice = choose_fallback_threshold(confidences, [1.0] * 4, right, ambiguity=0.1)
    assert choice.threshold <= 0.55 and choice.kept_right == 3 and choice.caught_wrong == 0


def test_ambiguous_answers_fall_back_whatever_the_threshold() -> None:
    choice = choose_fallback_threshold([0.5, 0.9], [0.05, 0.8], [False, True], ambiguity=0.1)
    assert choice.caught_wrong == 1 and choice.kept_right == 1


def test_ties_take_the_middle_of_the_best_range() -> None:
    choice = choose_fallback_threshold([0.99, 0.98], [0.9, 0.9], [True, True], ambiguity=0.1)
    assert 0.4 <= choice.threshold <= 0.5  # not the lowest (0.05) nor the highest (0.9)


def test_inputs_of_different_lengths_are_refused() -> None:
    with pytest.raises(ValueError, match="same length"):
        choose_fallback_threshold([0.5], [0.5, 0.1], [True], ambiguity=0.1)
