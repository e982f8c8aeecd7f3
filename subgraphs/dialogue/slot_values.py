"""Turning entity values into typed slot values.

The NLU normalises synonyms but hands over strings ("four", "tomorrow",
"7pm"), so the dialogue converts each value to its slot's type before a form
validates it. Values are stored in their canonical JSON form: integers as
numbers, dates as ISO "YYYY-MM-DD", times as "HH:MM".
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

from .domain import WEEKDAYS, Slot


class SlotValueError(ValueError):
    """The value cannot be read as the slot's type."""


_NUMBER_WORDS = {
    "zero": 0, "one": 1, "a": 1, "an": 1, "single": 1, "two": 2, "couple": 2, "pair": 2,
    "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "dozen": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50,
}  # fmt: skip
_MONTH_NAMES = (
    "january february march april may june july august september october november december"
).split()
_MONTHS = {
    **{name: number for number, name in enumerate(_MONTH_NAMES, start=1)},
    **{name[:3]: number for number, name in enumerate(_MONTH_NAMES, start=1)},
    "sept": 9,
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_CLOCK = re.compile(
    r"(?<![\d:])(\d{1,2})(?:[:.h](\d{2}))?\s*(a\.?m\.?|p\.?m\.?|o'?clock|h)?(?![\d])", re.I
)


def coerce_value(slot: Slot, raw: Any, *, today: date) -> Any:
    """Convert `raw` (an entity value or message text) to `slot`'s type."""
    if raw is None:
        raise SlotValueError("no value")
    kind = slot.type
    if kind == "integer":
        return parse_integer(raw)
    if kind == "float":
        return _parse_float(raw)
    if kind == "boolean":
        return _parse_bool(raw)
    if kind == "date":
        return parse_date(raw, today=today).isoformat()
    if kind == "time":
        return parse_time(raw).strftime("%H:%M")
    if kind == "categorical":
        return _parse_category(raw, slot.values or [])
    if kind == "text":
        return _parse_text(raw)
    return raw


def parse_integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise SlotValueError("not a number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    text = str(raw).strip().lower()
    digits = re.search(r"-?\d+(?:\.0+)?(?!\d)", text)
    if digits:
        return int(float(digits.group()))
    words = re.findall(r"[a-z]+", text.replace("-", " "))
    total, seen = 0, False
    for word in words:
        if word in _NUMBER_WORDS and not (word in ("a", "an") and len(words) > 1):
            total += _NUMBER_WORDS[word]
            seen = True
    if not seen:
        raise SlotValueError(f"{raw!r} is not a number")
    return total


def _parse_float(raw: Any) -> float:
    try:
        return float(str(raw).strip())
    except ValueError:
        raise SlotValueError(f"{raw!r} is not a number") from None


def _parse_bool(raw: Any) -> bool:
    text = str(raw).strip().lower()
    if text in ("true", "yes", "y", "1", "on"):
        return True
    if text in ("false", "no", "n", "0", "off"):
        return False
    raise SlotValueError(f"{raw!r} is not yes or no")


def parse_date(raw: Any, *, today: date) -> date:
    """ISO dates and datetimes, today/tomorrow, weekdays, "5 June", "the 12th", "in 3 days"."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip().lower()
    iso = _ISO_DATE.search(text)
    if iso:
        try:
            return date(*(int(g) for g in iso.groups()))
        except ValueError:
            raise SlotValueError(f"{raw!r} is not a calendar date") from None
    if "day after tomorrow" in text:
        return today + timedelta(days=2)
    if "tomorrow" in text:
        return today + timedelta(days=1)
    if re.search(r"\b(today|tonight|this evening|this afternoon)\b", text):
        return today
    ahead = re.search(r"\bin (\w+) days?\b", text)
    if ahead:
        return today + timedelta(days=parse_integer(ahead.group(1)))
    if re.search(r"\bin a week\b|\bnext week\b", text):
        return today + timedelta(days=7)
    for number, name in enumerate(WEEKDAYS):
        if re.search(rf"\b{name[:3]}(?:{name[3:]})?\b", text):
            days = (number - today.weekday()) % 7
            if days == 0 and "next" in text:
                days = 7
            return today + timedelta(days=days)
    day_month = _day_and_month(text)
    if day_month:
        day, month = day_month
        for year in (today.year, today.year + 1):
            try:
                candidate = date(year, month, day)
            except ValueError:
                raise SlotValueError(f"{raw!r} is not a calendar date") from None
            if candidate >= today:
                return candidate
    ordinal = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)\b", text)
    if ordinal:
        return _next_day_of_month(int(ordinal.group(1)), today, raw)
    raise SlotValueError(f"{raw!r} is not a date")


def names_weekday(raw: Any) -> bool:
    """Whether a date value is a weekday's name ("friday", "on sat"), not "today" or a date."""
    if not isinstance(raw, str):
        return False
    text = raw.strip().lower()
    if re.search(r"\b(today|tonight|tomorrow|this (evening|afternoon))\b", text):
        return False
    if _ISO_DATE.search(text) or re.search(r"\d", text):
        return False
    return any(re.search(rf"\b{name[:3]}(?:{name[3:]})?\b", text) for name in WEEKDAYS)


def _next_day_of_month(day: int, today: date, raw: Any) -> date:
    """ "the 12th": the next 12th from today on (this month or a later one)."""
    year, month = today.year, today.month
    for _ in range(4):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate >= today:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise SlotValueError(f"{raw!r} is not a calendar date")


def _day_and_month(text: str) -> tuple[int, int] | None:
    months = "|".join(sorted(_MONTHS, key=len, reverse=True))
    found = re.search(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?: of)? ({months})\b", text) or re.search(
        rf"\b({months}) (\d{{1,2}})(?:st|nd|rd|th)?\b", text
    )
    if found:
        first, second = found.groups()
        if first.isdigit():
            return int(first), _MONTHS[second]
        return int(second), _MONTHS[first]
    numeric = re.fullmatch(r"(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?", text)
    if numeric:
        return int(numeric.group(1)), int(numeric.group(2))
    return None


def parse_time(raw: Any) -> time:
    """24h and am/pm clock times, noon/midnight, "half past 7", ISO datetimes.

    A bare hour from 1 to 11 ("at 7") means the evening: people book dinner
    at 7, not breakfast.
    """
    if isinstance(raw, datetime):
        return raw.time().replace(second=0, microsecond=0)
    if isinstance(raw, time):
        return raw.replace(second=0, microsecond=0)
    text = str(raw).strip().lower()
    stamp = re.search(r"\d{4}-\d{2}-\d{2}[t ](\d{2}):(\d{2})", text)
    if stamp:
        return time(int(stamp.group(1)), int(stamp.group(2)))
    if re.search(r"\b(noon|midday)\b", text):
        return time(12, 0)
    if "midnight" in text:
        return time(0, 0)
    half = re.search(r"\b(half|quarter) (past|to) (\w+)\b", text)
    if half:
        hour = _evening(parse_integer(half.group(3)), text)
        minutes = 30 if half.group(1) == "half" else 15
        if half.group(2) == "to":
            hour, minutes = hour - 1, 60 - minutes
        return _make_time(hour, minutes, raw)
    spoken = _spoken_time(text)
    if spoken is not None:
        return _make_time(_evening(spoken[0], text), spoken[1], raw)
    match = _CLOCK.search(text)
    if not match:
        words = re.search(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", text)
        if words and words.group(1) not in ("a", "an"):
            return _make_time(_evening(_NUMBER_WORDS[words.group(1)], text), 0, raw)
        raise SlotValueError(f"{raw!r} is not a time")
    hour, minutes, suffix = int(match.group(1)), int(match.group(2) or 0), match.group(3) or ""
    if suffix.startswith("p") and hour < 12:
        hour += 12
    elif suffix.startswith("a") and hour == 12:
        hour = 0
    elif not suffix.startswith(("a", "p")) and match.group(2) is None:
        hour = _evening(hour, text)
    return _make_time(hour, minutes, raw)


_HOUR_WORDS = "one two three four five six seven eight nine ten eleven twelve".split()
_MINUTE_WORDS = r"(?:oh[ -]\w+|fifteen|thirty|forty[ -]five|forty|twenty(?:[ -]five)?|ten|fifty)"


def _spoken_time(text: str) -> tuple[int, int] | None:
    """ "half seven" (7:30, as the British say it), "nine thirty", "seven forty-five"."""
    hours = "|".join(_HOUR_WORDS)
    half = re.search(rf"\bhalf ({hours}|\d{{1,2}})\b", text)
    if half:
        return parse_integer(half.group(1)), 30
    spoken = re.search(rf"\b({hours}) ({_MINUTE_WORDS})\b", text)
    if spoken:
        minutes = spoken.group(2).replace("oh", "").strip(" -")
        return parse_integer(spoken.group(1)), parse_integer(minutes)
    return None


def _evening(hour: int, text: str) -> int:
    if "morning" in text or re.search(r"\ba\.?m\b", text):
        return hour
    return hour + 12 if 1 <= hour <= 11 else hour


def _make_time(hour: int, minutes: int, raw: Any) -> time:
    try:
        return time(hour % 24, minutes)
    except ValueError:
        raise SlotValueError(f"{raw!r} is not a time") from None


def _parse_category(raw: Any, values: list[str]) -> str:
    text = str(raw).strip().lower()
    for value in values:
        if text == value.lower():
            return value
    for value in values:
        if re.search(rf"\b{re.escape(value.lower())}\b", text):
            return value
    raise SlotValueError(f"{raw!r} is not one of {', '.join(values)}")


_NAME_PREFIX = re.compile(
    r"^(?:(?:my|the) name is|name is|i am|i'm|it's|it is|this is|call me|under(?: the name)?|"
    r"for)\s+",
    re.I,
)


def strip_lead_in(text: str) -> str:
    """Drop "my name is", "it's", ... from a whole message used as a value."""
    return _NAME_PREFIX.sub("", text.strip())


def _parse_text(raw: Any) -> str:
    text = str(raw).strip().strip(" .!,;:\"'")
    if not text:
        raise SlotValueError("empty text")
    if len(text) > 200:
        raise SlotValueError("text longer than 200 characters")
    return text
