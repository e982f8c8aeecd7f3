"""Reading test story files: turns, checks, clocks and clear errors for malformed files."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from subgraphs.dialogue.stories.format import ExpectedEntity, StoryError, load_stories
from tests.helpers.stories import stories_from

STORY = """
version: "1"
clock: "2026-12-08T12:00:00+01:00"
stories:
  - story: book
    steps:
      - user: "table for 2 tomorrow"
        intent: book_table
        entities: [{party_size: "2"}, {date: tomorrow}]
      - action: booking_form
      - action: utter_ask_time
      - slot_was_set: {date: 2026-12-09}
      - user: "8pm"
      - action: utter_ask_cuisine
    records:
      bookings: [{date: 2026-12-09, time: "20:00"}]
  - story: hi
    clock: "2026-12-09T09:00:00+01:00"
    steps:
      - user: hello
      - action: utter_greet
"""


def test_steps_become_turns_with_their_checks() -> None:
    book, hi = stories_from(STORY)
    first, second = book.turns
    assert first.text == "table for 2 tomorrow" and first.intent == "book_table"
    assert first.actions == ("booking_form", "utter_ask_time")
    assert first.entities == (ExpectedEntity("party_size", "2"), ExpectedEntity("date", "tomorrow"))
    assert first.slots == {"date": "2026-12-09"}  # YAML dates as the engine stores them
    assert second.entities is None and second.intent is None and second.slots == {}
    assert book.records == {"bookings": [{"date": "2026-12-09", "time": "20:00"}]}
    assert book.clock == datetime.fromisoformat("2026-12-08T12:00:00+01:00")
    assert hi.clock == datetime.fromisoformat("2026-12-09T09:00:00+01:00")
    assert hi.records is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stories: []", "stories"),
        ("stories: [{story: s, steps: [{action: utter_greet}]}]", "starts with a `user` step"),
        ("stories: [{story: s, steps: [{user: hi}]}]", "'hi' has no `action` after it"),
        ("stories: [{story: s, steps: [{user: hi, action: x}]}]", "one of `user`, `action`"),
        ("stories: [{story: s, steps: [{user: hi}, {action: a, intent: greet}]}]",
         "go with `user`"),
        ("stories: [{story: s, steps: [{user: hi, entities: [{a: 1, b: 2}]}, {action: a}]}]",
         "each entity as {type: value}"),
        ("stories: [{story: s, steps: [{user: hi}, {action: a}], nonsense: 1}]", "nonsense"),
        ("clock: '2026-12-08T12:00:00'\nstories: [{story: s, steps: [{user: hi}, {action: a}]}]",
         "UTC offset"),
        ("- just a list", "a mapping with a `stories:` list"),
    ],
)  # fmt: skip
def test_malformed_stories_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(StoryError, match=message.replace("{", r"\{").replace("[", r"\[")):
        stories_from(text)


def test_a_folder_loads_every_story_file_and_names_must_be_unique(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(STORY)
    (tmp_path / "notes.md").write_text("not a story")
    nested = tmp_path / "more"
    nested.mkdir()
    (nested / "b.yaml").write_text(STORY.replace("story: book", "story: book again").replace(
        "story: hi", "story: hi again"
    ))  # fmt: skip
    assert [s.name for s in load_stories(tmp_path)] == ["book", "hi", "book again", "hi again"]
    (tmp_path / "c.yml").write_text(STORY)
    with pytest.raises(StoryError, match="repeated: book, hi"):
        load_stories(tmp_path)


def test_missing_and_empty_places_are_errors(tmp_path: Path) -> None:
    with pytest.raises(StoryError, match="no such story file or folder"):
        load_stories(tmp_path / "nowhere")
    with pytest.raises(StoryError, match="no story files"):
        load_stories(tmp_path)
    (tmp_path / "bad.yml").write_text("stories: [unclosed")
    with pytest.raises(StoryError, match="cannot read the story file"):
        load_stories(tmp_path)
