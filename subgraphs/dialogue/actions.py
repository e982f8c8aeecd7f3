"""Custom actions: application code the dialogue policy runs by name (like Rasa's custom actions).

An application registers its actions in an `ActionRegistry`; its domain file
names them under `actions:` and uses them in rules and in a form's
`on_complete`, like any response or form. When the policy reaches one, it
awaits the action with an `ActionContext`:

- the tracker: the slots as they are at that point of the turn, the active form
  and the slot it asked for, the user's message (intent, entities, text) and
  the raw slot values the message offers;
- `connection`: the database connection of the transaction that applies the
  turn. What an action writes there commits with the turn's actions and slots or
  not at all, and a turn is applied exactly once however often its action is
  resolved, so an action's writes happen exactly once.

The action returns an `ActionResult` (or None for "nothing"): slot updates, the
actions to run next (usually one response key, voiced by the generation
subgraph), whether to end the active form, and events, the application's own
records of what it did, kept on the turn's `TurnOutcome`.

Registering (the applications in `apps/` have full examples)::

    actions = ActionRegistry()

    @actions.register("action_check_stock", responses=("utter_in_stock", "utter_sold_out"))
    async def check_stock(ctx: ActionContext) -> ActionResult:
        row = (await ctx.connection.execute(...)).first()
        return ActionResult(followups=("utter_in_stock" if row else "utter_sold_out",))

`responses` lists the responses the action may hand over to: loading a domain
that uses the action fails unless it defines them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from .domain import Domain
from .forms import accept_values, validations
from .tracker import UnderstandingIn


class ActionError(RuntimeError):
    """A custom action was registered or used wrongly (the message names it)."""


@dataclass(frozen=True)
class ActionContext:
    """What a custom action may read during one turn; it changes state through its result."""

    name: str
    domain: Domain
    slots: Mapping[str, Any]
    active_form: str | None
    requested_slot: str | None
    intent: str  # the intent the rules saw (nlu_fallback for fallbacks and unknown intents)
    understanding: UnderstandingIn
    text: str
    candidates: Mapping[str, Any]  # raw slot values the message offers, before conversion
    now: datetime  # in the domain's venue time zone
    conversation_id: str | None = None
    turn_id: str | None = None
    db: AsyncConnection | None = field(default=None, repr=False)

    @property
    def connection(self) -> AsyncConnection:
        """The turn's transaction; absent only when the policy runs without a database."""
        if self.db is None:
            raise ActionError(
                f"{self.name} needs the database, but the policy ran without a connection"
            )
        return self.db

    def accept_values(
        self, names: list[str], current: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[str]]:
        """Convert and validate the message's values for `names` as the domain's forms would.

        Returns (accepted values, names whose values were rejected); `current` is
        what the values are checked against (a new time against the current date).
        """
        return accept_values(
            self.domain,
            dict(self.candidates),
            dict(current),
            names,
            validations(self.domain),
            self.now,
        )


@dataclass(frozen=True)
class ActionResult:
    slots: Mapping[str, Any] = field(default_factory=dict)  # slot name -> new value
    followups: tuple[str, ...] = ()  # actions to run next, first first
    end_form: bool = False  # deactivate the running form (and forget the slot it asked for)
    events: tuple[object, ...] = ()  # the application's records, kept on the turn's outcome


CustomAction = Callable[[ActionContext], Awaitable[ActionResult | None]]


@dataclass(frozen=True)
class RegisteredAction:
    name: str
    run: CustomAction
    responses: tuple[str, ...] = ()  # the responses it may hand over to


class ActionRegistry(Mapping[str, RegisteredAction]):
    """Custom actions by name; registries of several applications merge with `|`."""

    def __init__(self, actions: Mapping[str, RegisteredAction] | None = None) -> None:
        self._actions: dict[str, RegisteredAction] = dict(actions or {})

    def register(
        self, name: str, *, responses: tuple[str, ...] = ()
    ) -> Callable[[CustomAction], CustomAction]:
        """Decorator: run the coroutine function when the policy reaches action `name`."""

        def decorate(run: CustomAction) -> CustomAction:
            self.add(RegisteredAction(name, run, tuple(responses)))
            return run

        return decorate

    def add(self, action: RegisteredAction) -> None:
        if not action.name.startswith("action_"):
            raise ActionError(f"custom action {action.name!r}: names start with 'action_'")
        if action.name in self._actions:
            raise ActionError(f"custom action {action.name!r} is registered twice")
        self._actions[action.name] = action

    def __or__(self, other: Mapping[str, RegisteredAction]) -> ActionRegistry:
        merged = ActionRegistry(self._actions)
        for action in other.values():
            merged.add(action)
        return merged

    def __getitem__(self, name: str) -> RegisteredAction:
        return self._actions[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._actions)

    def __len__(self) -> int:
        return len(self._actions)


BUILTIN_ACTIONS = ActionRegistry()


@BUILTIN_ACTIONS.register("action_deactivate_form")
async def deactivate_form(ctx: ActionContext) -> ActionResult:
    """Leave the running form (a user who says "stop" mid-form)."""
    return ActionResult(end_form=True)
