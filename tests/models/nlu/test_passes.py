"""Padding-aware forward passes: the plan is optimal, and grouping never changes an answer."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.nlu.model import NLUModel, bf16_supported, resolve_precision
from models.nlu.passes import plan_passes


def _cost(lengths: list[int], passes: list[range], pass_cost: float) -> float:
    return sum(len(r) * lengths[r.stop - 1] + pass_cost for r in passes)


def _brute_force(lengths: list[int], max_size: int, pass_cost: float) -> float:
    n, best = len(lengths), math.inf
    for k in range(n):
        for cuts in itertools.combinations(range(1, n), k):
            bounds = [0, *cuts, n]
            passes = [range(a, b) for a, b in itertools.pairwise(bounds)]
            if all(len(r) <= max_size for r in passes):
                best = min(best, _cost(lengths, passes, pass_cost))
    return best


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(1, 40), min_size=1, max_size=9),
    st.integers(1, 6),
    st.floats(0, 100),
)
def test_the_plan_covers_everything_and_is_optimal(
    lengths: list[int], max_size: int, pass_cost: float
) -> None:
    lengths.sort()
    passes = plan_passes(lengths, max_size=max_size, pass_cost=pass_cost)
    assert [i for r in passes for i in r] == list(range(len(lengths)))
    assert all(1 <= len(r) <= max_size for r in passes)
    assert _cost(lengths, passes, pass_cost) == pytest.approx(
        _brute_force(lengths, max_size, pass_cost)
    )


def test_similar_lengths_share_a_pass_and_outliers_get_their_own() -> None:
    assert plan_passes([7] * 50, max_size=32, pass_cost=50) == [range(0, 32), range(32, 50)]
    # 31 short utterances and one very long one: padding them all costs more than a pass.
    lengths = [6] * 31 + [120]
    assert plan_passes(lengths, max_size=32, pass_cost=50) == [range(0, 31), range(31, 32)]
    # Mild spread: one pass is cheaper than two.
    assert plan_passes([6] * 16 + [8] * 16, max_size=32, pass_cost=50) == [range(0, 32)]
    assert plan_passes([], max_size=4, pass_cost=1) == []
    with pytest.raises(ValueError, match="ascending"):
        plan_passes([3, 1], max_size=4, pass_cost=1)


def test_grouped_predictions_equal_one_at_a_time(concierge_model: Any) -> None:
    model = NLUModel.load(concierge_model.path)
    texts = [
        "hi",
        "book a table for two at 7pm tomorrow evening near the river with a view please",
        "thanks",
        "can I change my booking to saturday at 8pm for six people",
        "where are you",
        "no",
    ]
    before = model.forward_passes
    batched = model.predict(texts)
    assert 1 <= model.forward_passes - before < len(texts)
    alone = [model.predict([t])[0] for t in texts]
    for b, a in zip(batched, alone, strict=True):
        assert b.text == a.text
        assert b.intent.name == a.intent.name and b.fallback == a.fallback
        assert b.intent.confidence == pytest.approx(a.intent.confidence, abs=1e-4)
        assert [(e.type, e.start, e.end) for e in b.entities] == [
            (e.type, e.start, e.end) for e in a.entities
        ]


def test_precision_choice(concierge_model: Any) -> None:
    assert resolve_precision("fp32") == "fp32"
    assert resolve_precision("auto") == ("bf16" if bf16_supported() else "fp32")
    with pytest.raises(ValueError, match="unknown precision"):
        resolve_precision("fp8")
    if not bf16_supported():
        pytest.skip("this CPU has no native bfloat16")
    concierge = Path(__file__).resolve().parents[3] / "apps" / "concierge" / "data" / "nlu.yml"

    from models.nlu.yaml_format import load_training_yaml

    texts = [e.text for e in load_training_yaml(concierge).examples]
    fp32 = NLUModel.load(concierge_model.path).predict(texts)
    bf16 = NLUModel.load(concierge_model.path, precision="bf16").predict(texts)
    agree = sum(a.ranking[0].name == b.ranking[0].name for a, b in zip(fp32, bf16, strict=True))
    assert agree >= 0.97 * len(texts), f"bf16 changed {len(texts) - agree} intents"
    worst = max(
        abs(a.intent.confidence - b.intent.confidence) for a, b in zip(fp32, bf16, strict=True)
    )
    assert worst < 0.1
