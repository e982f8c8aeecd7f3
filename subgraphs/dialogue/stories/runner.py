"""Running test stories through the dialogue service, turn by turn, as the subgraph does.

Each message goes the way a `say` through the router goes: the service's store
appends the turn, the understanding (from the caller's NLU) resolves its action
(the policy, custom actions and their writes in the turn's transaction), and the
stored actions and slots are what the story is checked against. At the end the
extensions' record readers (`DialogueExtension.records`) give the rows the
application wrote for the conversation.

The clock stands still at the story's `clock` (else the runner's default) while a
story runs, so relative dates and opening hours give the same answer any day.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from subgraphs.dialogue.service import DialogueService
from subgraphs.dialogue.stories.format import ExpectedEntity, Story, StoryTurn, plain
from subgraphs.dialogue.tracker import UnderstandingIn

# Understands a batch of messages (the NLU model the nlu subgraph serves, in-process).
Understand = Callable[[Sequence[str]], Awaitable[Sequence[UnderstandingIn]]]


class StoryClock:
    """The dialogue clock of a story run: `now` is whatever the current story says."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class TurnResult:
    index: int
    turn: StoryTurn
    actions: tuple[str, ...]  # every action the turn ran, in order
    intent: str
    entities: tuple[ExpectedEntity, ...]  # what the NLU found (type, normalised value)
    texts: tuple[str, ...]  # the covered text of each found entity
    slots: dict[str, Any]

    @property
    def actions_ok(self) -> bool:
        expected = self.turn.actions
        return self.actions[-len(expected) :] == expected

    @property
    def intent_ok(self) -> bool:
        return self.turn.intent is None or self.turn.intent == self.intent

    @property
    def entities_ok(self) -> bool:
        return self.turn.entities is None or entities_match(
            self.turn.entities, self.entities, self.texts
        )

    @property
    def slots_wrong(self) -> dict[str, Any]:
        return {k: v for k, v in self.turn.slots.items() if plain(self.slots.get(k)) != v}

    @property
    def ok(self) -> bool:
        return self.actions_ok and self.intent_ok and self.entities_ok and not self.slots_wrong

    def problems(self) -> list[str]:
        found = []
        if not self.actions_ok:
            found.append(
                f"expected actions {list(self.turn.actions)}, the turn ran {list(self.actions)}"
            )
        if not self.intent_ok:
            found.append(f"expected intent {self.turn.intent}, understood {self.intent}")
        if not self.entities_ok:
            expected = [f"{e.type}={e.value}" for e in self.turn.entities or ()]
            got = [f"{e.type}={e.value}" for e in self.entities]
            found.append(f"expected entities {expected}, understood {got}")
        for name, value in self.slots_wrong.items():
            found.append(f"expected slot {name}={value!r}, it is {self.slots.get(name)!r}")
        return found


@dataclass(frozen=True)
class StoryResult:
    story: Story
    turns: tuple[TurnResult, ...]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    record_problems: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return all(t.ok for t in self.turns) and not self.record_problems

    @property
    def first_failure(self) -> TurnResult | None:
        return next((t for t in self.turns if not t.ok), None)


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def entities_match(
    expected: Sequence[ExpectedEntity], values: Sequence[ExpectedEntity], texts: Sequence[str]
) -> bool:
    """Same number of entities, each expected one found by type and value or covered text."""
    if len(expected) != len(values):
        return False
    left = list(zip(values, texts, strict=True))
    for want in expected:
        wanted = _normal(str(want.value))
        hit = next(
            (
                (found, text)
                for found, text in left
                if found.type == want.type and wanted in (_normal(found.value), _normal(text))
            ),
            None,
        )
        if hit is None:
            return False
        left.remove(hit)
    return True


def check_records(
    expected: Mapping[str, list[dict[str, Any]]], actual: Mapping[str, list[dict[str, Any]]]
) -> list[str]:
    """What differs between the records a story expects and the application's rows."""
    problems = []
    for kind, rows in expected.items():
        if kind not in actual:
            problems.append(f"no reader for records {kind!r} (DialogueExtension.records)")
            continue
        found = actual[kind]
        if len(found) != len(rows):
            problems.append(f"{kind}: expected {len(rows)} record(s), found {len(found)}: {found}")
            continue
        for position, (want, row) in enumerate(zip(rows, found, strict=True)):
            wrong = {k: v for k, v in want.items() if plain(row.get(k)) != v}
            if wrong:
                got = {k: row.get(k) for k in wrong}
                problems.append(f"{kind}[{position}]: expected {wrong}, found {got}")
    return problems


class StoryRunner:
    """Runs stories on a service whose clock is `clock` (see `StoryClock`)."""

    def __init__(
        self,
        service: DialogueService,
        understand: Understand,
        clock: StoryClock,
        *,
        default_clock: datetime | None = None,
    ) -> None:
        if service.store.clock is not clock:
            raise ValueError("the service must run on the runner's StoryClock")
        self.service, self.understand, self.clock = service, understand, clock
        self.default_clock = default_clock

    async def run(self, stories: Sequence[Story]) -> list[StoryResult]:
        texts = sorted({turn.text for story in stories for turn in story.turns})
        understood = dict(zip(texts, await self.understand(texts), strict=True))
        return [await self.run_story(story, understood) for story in stories]

    async def run_story(
        self, story: Story, understood: Mapping[str, UnderstandingIn]
    ) -> StoryResult:
        start = story.clock or self.default_clock or datetime.now(UTC)
        self.clock.now = start
        store = self.service.store
        conversation_id: str | None = None
        results = []
        for index, turn in enumerate(story.turns):
            understanding = understood[turn.text]
            said = await store.say(conversation_id, turn.text)
            conversation_id = said.conversation_id
            view = await store.resolve_action(said.id, understanding)
            entities = understanding.entities
            results.append(
                TurnResult(
                    index=index,
                    turn=turn,
                    actions=tuple(a.name for a in view.actions),
                    intent=understanding.intent.name,
                    entities=tuple(ExpectedEntity(e.type, str(e.value)) for e in entities),
                    texts=tuple(_covered(turn.text, e.start, e.end) for e in entities),
                    slots=dict(view.slots_after or {}),
                )
            )
        records = await self._records(conversation_id) if conversation_id else {}
        problems = check_records(story.records, records) if story.records is not None else []
        return StoryResult(story, tuple(results), records, tuple(problems))

    async def _records(self, conversation_id: str) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = {}
        async with self.service.engine.connect() as conn:
            for extension in self.service.extensions:
                for kind, read in extension.records.items():
                    found[kind] = await read(conn, conversation_id)
        return found


def _covered(text: str, start: int | None, end: int | None) -> str:
    return text[start:end] if start is not None and end is not None else ""
