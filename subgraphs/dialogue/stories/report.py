"""Figures of a story run: conversation success, turn accuracy, where stories went wrong.

- conversation success: the share of stories whose every turn and records are right;
- turn accuracy: the share of turns whose actions (and intent, entities, slots where
  the story gives them) are right, over every turn of every story (a story goes on
  after a wrong turn, with the state the wrong turn left);
- intent confusion over the messages a story gives an intent for, and entity
  precision/recall/confusion over those it gives entities for.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from subgraphs.dialogue.stories.runner import StoryResult, TurnResult


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def _turn_json(turn: TurnResult) -> dict[str, Any]:
    return {
        "turn": turn.index + 1,
        "text": turn.turn.text,
        "expected_actions": list(turn.turn.actions),
        "actions": list(turn.actions),
        "expected_intent": turn.turn.intent,
        "intent": turn.intent,
        "entities": [{e.type: e.value} for e in turn.entities],
        "problems": turn.problems(),
    }


def _intents(turns: Sequence[TurnResult]) -> dict[str, Any]:
    checked = [t for t in turns if t.turn.intent is not None]
    pairs = Counter((t.turn.intent, t.intent) for t in checked)
    confusion = [
        {"expected": gold, "understood": guess, "count": count}
        for (gold, guess), count in sorted(pairs.items(), key=lambda item: -item[1])
        if gold != guess
    ]
    right = sum(c for (gold, guess), c in pairs.items() if gold == guess)
    accuracy = _ratio(right, len(checked))
    return {"checked": len(checked), "accuracy": accuracy, "confusion": confusion}


def _entities(turns: Sequence[TurnResult]) -> dict[str, Any]:
    checked = [t for t in turns if t.turn.entities is not None]
    expected_n = found_n = hits = 0
    confusion: Counter[tuple[str, str]] = Counter()
    for turn in checked:
        expected = Counter(e.type for e in turn.turn.entities or ())
        found = Counter(e.type for e in turn.entities)
        expected_n, found_n = expected_n + sum(expected.values()), found_n + sum(found.values())
        hits += sum((expected & found).values())
        if not turn.entities_ok:
            want = ", ".join(f"{e.type}={e.value}" for e in turn.turn.entities or ()) or "none"
            got = ", ".join(f"{e.type}={e.value}" for e in turn.entities) or "none"
            confusion[(want, got)] += 1
    precision, recall = _ratio(hits, found_n), _ratio(hits, expected_n)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "checked": len(checked),
        "type_precision": precision,
        "type_recall": recall,
        "type_f1": f1,
        "exact": _ratio(sum(t.entities_ok for t in checked), len(checked)),
        "confusion": [
            {"expected": want, "understood": got, "count": count}
            for (want, got), count in confusion.most_common()
        ],
    }


def summarize(results: Sequence[StoryResult]) -> dict[str, Any]:
    """The run as one JSON-ready object (what `chorus test dialogue --json` prints)."""
    turns = [t for r in results for t in r.turns]
    failures = []
    for result in results:
        if result.passed:
            continue
        first = result.first_failure
        failures.append(
            {
                "story": result.story.name,
                "file": result.story.source,
                "first_wrong_turn": _turn_json(first) if first else None,
                "records": list(result.record_problems),
            }
        )
    return {
        "conversation_success": _ratio(sum(r.passed for r in results), len(results)),
        "turn_accuracy": _ratio(sum(t.ok for t in turns), len(turns)),
        "n_stories": len(results),
        "n_turns": len(turns),
        "stories": [
            {
                "story": r.story.name,
                "file": r.story.source,
                "passed": r.passed,
                "turns": len(r.turns),
                "correct_turns": sum(t.ok for t in r.turns),
                "first_wrong_turn": r.first_failure.index + 1 if r.first_failure else None,
            }
            for r in results
        ],
        "failures": failures,
        "intents": _intents(turns),
        "entities": _entities(turns),
    }


def render(summary: dict[str, Any]) -> list[str]:
    """The summary as lines for a terminal."""
    lines = []
    for failure in summary["failures"]:
        lines.append(f"FAILED {failure['story']}  ({failure['file']})")
        turn = failure["first_wrong_turn"]
        if turn is not None:
            lines.append(f"  turn {turn['turn']}: {turn['text']!r}")
            lines.extend(f"    {problem}" for problem in turn["problems"])
        lines.extend(f"  records: {problem}" for problem in failure["records"])
    intents, entities = summary["intents"], summary["entities"]
    for row in intents["confusion"]:
        lines.append(f"intent confusion: {row['expected']} -> {row['understood']} ({row['count']})")
    for row in entities["confusion"]:
        lines.append(f"entity confusion: {row['expected']} -> {row['understood']} ({row['count']})")
    passed = sum(s["passed"] for s in summary["stories"])
    lines.append(
        f"{passed}/{summary['n_stories']} stories passed: conversation success "
        f"{summary['conversation_success']:.3f}, turn accuracy {summary['turn_accuracy']:.3f} "
        f"({summary['n_turns']} turns); intent accuracy {intents['accuracy']:.3f} "
        f"on {intents['checked']}, entities exact {entities['exact']:.3f} on {entities['checked']}"
    )
    return lines
