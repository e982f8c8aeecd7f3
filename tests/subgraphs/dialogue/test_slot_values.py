"""Entity values become typed slot values: numbers, dates, times, categories."""

from __future__ import annotations

from datetime import date, time

import pytest

from subgraphs.dialogue.domain import Slot
from subgraphs.dialogue.slot_values import (
    SlotValueError,
    coerce_value,
    parse_date,
    parse_integer,
    parse_time,
    strip_lead_in,
)

WEDNESDAY = date(2030, 6, 5)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("4", 4), (4, 4), ("four", 4), ("4 people", 4), ("a couple", 2), ("twenty one", 21),
     ("a dozen", 12), ("6.0", 6)],
)  # fmt: skip
def test_integers(raw: object, expected: int) -> None:
    assert parse_integer(raw) == expected


@pytest.mark.parametrize("raw", ["lots", "", True])
def test_not_integers(raw: object) -> None:
    with pytest.raises(SlotValueError):
        parse_integer(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("today", date(2030, 6, 5)), ("tonight", date(2030, 6, 5)),
     ("tomorrow", date(2030, 6, 6)), ("the day after tomorrow", date(2030, 6, 7)),
     ("friday", date(2030, 6, 7)), ("on Tuesday", date(2030, 6, 11)),
     ("wednesday", date(2030, 6, 5)), ("next wednesday", date(2030, 6, 12)),
     ("in 3 days", date(2030, 6, 8)), ("2030-07-01", date(2030, 7, 1)),
     ("2030-07-01T19:00:00+02:00", date(2030, 7, 1)), ("5th of July", date(2030, 7, 5)),
     ("july 5", date(2030, 7, 5)), ("3 june", date(2031, 6, 3)), ("24.12", date(2030, 12, 24)),
     ("the 12th", date(2030, 6, 12)), ("on the 3rd", date(2030, 7, 3)), ("5th", date(2030, 6, 5)),
     ("the 31st", date(2030, 7, 31))],
)  # fmt: skip
def test_dates(raw: str, expected: date) -> None:
    assert parse_date(raw, today=WEDNESDAY) == expected


@pytest.mark.parametrize("raw", ["soon", "2030-02-30", "31 february", "the 45th"])
def test_not_dates(raw: str) -> None:
    with pytest.raises(SlotValueError):
        parse_date(raw, today=WEDNESDAY)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("7pm", time(19)), ("7 p.m.", time(19)), ("19:30", time(19, 30)), ("7", time(19)),
     ("at 8", time(20)), ("seven", time(19)), ("half past 7", time(19, 30)),
     ("quarter to 9", time(20, 45)), ("noon", time(12)), ("10am", time(10)),
     ("12pm", time(12)), ("8:15 pm", time(20, 15)), ("2030-06-05T19:45:00", time(19, 45))],
)  # fmt: skip
def test_times(raw: str, expected: time) -> None:
    assert parse_time(raw) == expected


def test_not_a_time() -> None:
    with pytest.raises(SlotValueError):
        parse_time("whenever")


def test_coercion_by_slot_type() -> None:
    cuisine = Slot(type="categorical", values=["italian", "indian"])
    assert coerce_value(cuisine, "Italian", today=WEDNESDAY) == "italian"
    assert coerce_value(cuisine, "some indian food", today=WEDNESDAY) == "indian"
    with pytest.raises(SlotValueError):
        coerce_value(cuisine, "klingon", today=WEDNESDAY)
    assert coerce_value(Slot(type="date"), "tomorrow", today=WEDNESDAY) == "2030-06-06"
    assert coerce_value(Slot(type="time"), "7pm", today=WEDNESDAY) == "19:00"
    assert coerce_value(Slot(type="text"), "  Ada. ", today=WEDNESDAY) == "Ada"
    assert coerce_value(Slot(type="boolean"), "yes", today=WEDNESDAY) is True
    with pytest.raises(SlotValueError):
        coerce_value(Slot(type="text"), " . ", today=WEDNESDAY)


def test_lead_ins_are_dropped_from_whole_messages() -> None:
    assert strip_lead_in("my name is Ada Lovelace") == "Ada Lovelace"
    assert strip_lead_in("It's Grace") == "Grace"
    assert strip_lead_in("Alan") == "Alan"
