"""Test stories: conversations written down with what the assistant must do at each turn.

Like Rasa's end-to-end test stories, a story is a list of steps: a `user` message
(optionally with the `intent` and `entities` the NLU must find), then the `action`
steps the assistant must end that turn with, optionally a `slot_was_set` check, and
at the end the `records` the application must hold (its rows, e.g. orders)::

    version: "1"
    clock: "2026-12-08T12:00:00+01:00"   # "now" for every story of the file
    stories:
      - story: an order in one message
        steps:
          - user: "two large pizzas for delivery tomorrow at 8pm"
            intent: order
            entities: [{quantity: "2"}, {date: tomorrow}, {time: 8pm}]
          - action: utter_order_placed
        records:
          orders: [{quantity: 2, date: 2026-12-09, status: placed}]

The actions listed after a message are the last ones the turn ran, in order: list
the one the assistant answers with; list more to pin the ones before it. An entity
matches by type and by its normalised value or its covered text; a record matches
on the fields the story lists, records of a kind in their order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class StoryError(ValueError):
    """A story file is missing, unreadable or malformed (the message says where)."""


@dataclass(frozen=True)
class ExpectedEntity:
    type: str
    value: str


@dataclass(frozen=True)
class StoryTurn:
    """One user message and what must follow it."""

    text: str
    actions: tuple[str, ...]
    intent: str | None = None
    entities: tuple[ExpectedEntity, ...] | None = None  # None: not checked
    slots: dict[str, Any] = field(default_factory=dict)  # slot_was_set checks


@dataclass(frozen=True)
class Story:
    name: str
    source: str  # file it came from
    turns: tuple[StoryTurn, ...]
    clock: datetime | None = None
    records: dict[str, list[dict[str, Any]]] | None = None  # None: not checked


def _with_offset(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("the clock needs a UTC offset, e.g. 2026-12-08T12:00:00+01:00")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Step(_Strict):
    user: str | None = None
    intent: str | None = None
    entities: list[dict[str, Any]] | None = None
    action: str | None = None
    slot_was_set: dict[str, Any] | None = None


class _Story(_Strict):
    story: str = Field(min_length=1)
    clock: datetime | None = None
    steps: list[_Step] = Field(min_length=1)
    records: dict[str, list[dict[str, Any]]] | None = None

    @field_validator("clock")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _with_offset(value)


class _File(_Strict):
    version: str = "1"
    clock: datetime | None = None
    stories: list[_Story] = Field(min_length=1)

    @field_validator("clock")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _with_offset(value)


def _turns(story: _Story, where: str) -> tuple[StoryTurn, ...]:
    turns: list[StoryTurn] = []
    pending: _Step | None = None
    actions: list[str] = []
    slots: dict[str, Any] = {}

    def close() -> None:
        if pending is None:
            return
        if not actions:
            raise StoryError(f"{where}: the message {pending.user!r} has no `action` after it")
        entities = None
        if pending.entities is not None:
            entities = tuple(_entities(pending.entities, where))
        turns.append(
            StoryTurn(pending.user or "", tuple(actions), pending.intent, entities, dict(slots))
        )

    for position, step in enumerate(story.steps):
        kinds = [k for k in ("user", "action", "slot_was_set") if getattr(step, k) is not None]
        if len(kinds) != 1:
            raise StoryError(
                f"{where}, step {position + 1}: a step is one of `user`, `action` or "
                f"`slot_was_set` (found {', '.join(kinds) or 'none'})"
            )
        if kinds[0] != "user" and (step.intent is not None or step.entities is not None):
            raise StoryError(f"{where}, step {position + 1}: `intent`/`entities` go with `user`")
        if kinds[0] == "user":
            if not (step.user or "").strip():
                raise StoryError(f"{where}, step {position + 1}: empty user message")
            close()
            pending, actions, slots = step, [], {}
        elif pending is None:
            raise StoryError(f"{where}: a story starts with a `user` step")
        elif step.action is not None:
            actions.append(step.action)
        else:
            slots.update({k: plain(v) for k, v in (step.slot_was_set or {}).items()})
    close()
    return tuple(turns)


def _entities(items: list[dict[str, Any]], where: str) -> list[ExpectedEntity]:
    found = []
    for item in items:
        if len(item) != 1:
            raise StoryError(f"{where}: write each entity as {{type: value}}, got {item!r}")
        ((kind, value),) = item.items()
        found.append(ExpectedEntity(str(kind), plain(value)))
    return found


def plain(value: Any) -> Any:
    """YAML values as the engine stores them: dates ISO, times HH:MM, numbers as written."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def parse_stories(data: Any, source: str) -> list[Story]:
    """Validate one parsed story file."""
    if not isinstance(data, dict):
        raise StoryError(f"{source}: a story file is a mapping with a `stories:` list")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '<top>'}: {e['msg']}" for e in error.errors()
        )
        raise StoryError(f"{source}: {problems}") from None
    stories = []
    for story in parsed.stories:
        where = f"{source}: story {story.story!r}"
        records = None
        if story.records is not None:
            records = {
                kind: [{k: plain(v) for k, v in row.items()} for row in rows]
                for kind, rows in story.records.items()
            }
        stories.append(
            Story(story.story, source, _turns(story, where), story.clock or parsed.clock, records)
        )
    return stories


def story_files(path: Path) -> list[Path]:
    """A story file, or every `*.yml`/`*.yaml` under a folder (sorted)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
        if not files:
            raise StoryError(f"{path}: no story files (*.yml, *.yaml) in this folder")
        return files
    if not path.is_file():
        raise StoryError(f"{path}: no such story file or folder")
    return [path]


def load_stories(path: str | Path) -> list[Story]:
    """Every story of a file or folder; names must be unique."""
    stories: list[Story] = []
    for file in story_files(Path(path)):
        try:
            data = yaml.safe_load(file.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise StoryError(f"{file}: cannot read the story file ({error})") from None
        stories.extend(parse_stories(data, str(file)))
    names = [s.name for s in stories]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise StoryError(f"story names must be unique; repeated: {', '.join(twice)}")
    return stories
