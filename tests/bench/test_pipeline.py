"""The pipeline bench's audit finds lost, duplicated and unsettled turns in the database; its
report sets the monolith's steps beside the federated processes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.pipeline import RoundResult, Sent, audit, goals, render, summarise


def _db(path: Path, rows: list[tuple[str, str, int, str, str]], replies: list[str]) -> Path:
    with sqlite3.connect(path) as db:
        db.execute(
            'CREATE TABLE dialogue_turns (id TEXT, conversation_id TEXT, "index" INT, '
            "text TEXT, status TEXT)"
        )
        db.execute("CREATE TABLE replies (turn_id TEXT)")
        db.executemany("INSERT INTO dialogue_turns VALUES (?, ?, ?, ?, ?)", rows)
        db.executemany("INSERT INTO replies VALUES (?)", [(r,) for r in replies])
    return path


def _round(sent: list[Sent]) -> RoundResult:
    return RoundResult("federated", 1, 1.0, sent, {}, 0.0, {}, 0.0)


def test_a_clean_conversation_passes(tmp_path: Path) -> None:
    db = _db(
        tmp_path / "ok.db",
        [("t0", "c", 0, "hi", "done"), ("t1", "c", 1, "bye", "done")],
        ["t0", "t1"],
    )
    sent = [Sent("hi", "c", 0, 0.1, turn_id="t0"), Sent("bye", "c", 1, 0.1, turn_id="t1")]
    result = audit({"federated": db}, [_round(sent)])["federated"]
    assert (result.checked, result.lost, result.duplicated, result.unsettled) == (2, 0, 0, 0)
    assert (result.no_reply, result.extra) == (0, 0)


def test_lost_duplicated_unsettled_and_unanswered_turns_are_counted(tmp_path: Path) -> None:
    rows = [
        ("t0", "c", 0, "hi", "done"),
        ("t0b", "c", 0, "hi", "done"),  # the same message stored twice
        ("t2", "c", 2, "thanks", "pending"),  # answered but never settled
        ("t3", "c", 3, "extra", "done"),  # nobody sent it
    ]
    db = _db(tmp_path / "bad.db", rows, ["t0", "t0b"])
    sent = [
        Sent("hi", "c", 0, 0.1, turn_id="t0"),
        Sent("book", "c", 1, 0.1, turn_id="t1"),  # answered, not stored: lost
        Sent("thanks", "c", 2, 0.1, turn_id="t2"),
    ]
    result = audit({"federated": db}, [_round(sent)])["federated"]
    assert result.lost == 1
    assert result.duplicated == 1
    assert result.unsettled == 1
    assert result.no_reply == 1  # t2 has no stored reply
    assert result.extra == 1


def test_the_report_gives_the_monoliths_steps_and_the_gap_at_every_decile() -> None:
    """At c=1 the monolith's CPU per step goes beside the federated processes' CPU, and the
    p50 gap comes with the gap at each decile (a turn's latency is bimodal)."""
    turns = 10
    federated = RoundResult(
        "federated", 1, 1.0,
        [Sent("hi", "c", i, 0.050 + i / 1000) for i in range(turns)],
        {"nlu": 0.12, "dialogue": 0.10, "generation": 0.40, "router": 0.02},
        0.5, {"nlu": 1.0, "generation": 1.0}, 0.0,
    )  # fmt: skip
    steps = {"say_db": 0.02, "nlu": 0.10, "policy_db": 0.05, "reply": 0.35}
    monolith = RoundResult(
        "monolith", 1, 1.0,
        [Sent("hi", "c", i, 0.040 + i / 1000) for i in range(turns)],
        {"monolith": 0.55}, 0.5, {"nlu": 1.0, "generation": 1.0}, 0.0,
        steps={"turns": turns, "seconds": steps, "cpu_seconds": steps},
    )  # fmt: skip
    cells = summarise([federated, monolith])
    table = render(cells, {})
    assert "64.0 = nlu 12.0, dialogue 10.0, generation 40.0, router 2.0 |" in table
    assert (
        "55.0 = monolith 55.0 (say_db 2.0, nlu 10.0, policy_db 5.0, reply 35.0, "
        "outside the steps 3.0)" in table
    )
    lines = goals(cells, {})
    assert any(line.startswith("c=1 p50 federated - monolith = +10.0 ms") for line in lines)
    assert f"c=1 gap at deciles 10..90 %: {', '.join(['+10.0'] * 9)} ms" in lines
