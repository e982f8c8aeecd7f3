"""Running stories in tests: the concierge's dialogue service on a migrated SQLite file, and
understandings scripted per message (the NLU's part, without a model)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import yaml

import migrations
from models.db import create_engine
from subgraphs.dialogue.service import DialogueService
from subgraphs.dialogue.stories.format import Story, parse_stories
from subgraphs.dialogue.stories.runner import StoryClock, StoryResult, StoryRunner
from subgraphs.dialogue.tracker import UnderstandingIn
from tests.helpers.apps import concierge_dialogue_settings
from tests.helpers.dialogue import understanding
from tests.helpers.stack_migrations import DIALOGUE


def stories_from(text: str) -> list[Story]:
    return parse_stories(yaml.safe_load(text), "<test>")


def scripted(script: Mapping[str, tuple[Any, ...]]) -> Any:
    """An `Understand` reading each message from `script`: text -> (intent, {entities}).

    Entities are `{type: span}` or `{type: (span, value)}`, as `understanding()` takes them.
    """

    async def understand(texts: Sequence[str]) -> list[UnderstandingIn]:
        found = []
        for text in texts:
            intent, *rest = script[text]
            entities = rest[0] if rest else {}
            found.append(UnderstandingIn.model_validate(understanding(text, intent, **entities)))
        return found

    return understand


@asynccontextmanager
async def story_runner(folder: Path, script: Mapping[str, tuple[Any, ...]]) -> AsyncIterator[Any]:
    """A StoryRunner on a fresh migrated database in `folder`; yields `run(text) -> results`."""
    url = f"sqlite+aiosqlite:///{folder / 'stories.db'}"
    migrations.upgrade(url, owners=DIALOGUE)
    engine = create_engine(url)
    clock = StoryClock()
    service = DialogueService(concierge_dialogue_settings(), engine=engine, clock=clock)
    runner = StoryRunner(service, scripted(script), clock)

    async def run(text: str) -> list[StoryResult]:
        return await runner.run(stories_from(text))

    try:
        yield run
    finally:
        await engine.dispose()
