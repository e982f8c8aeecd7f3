"""The pipeline bench's audit finds lost, duplicated and unsettled turns in the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench.pipeline import RoundResult, Sent, audit


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
