"""The dialogue policy: which actions answer a user message.

Order of precedence, as in Rasa's RulePolicy with forms:

1. an active form that the message can answer keeps the floor: it carries a
   value for the slot the form asked for, or for another of the form's slots
   (a correction: "actually make it 3"); the slot mappings' intent conditions
   say which messages may carry values ("are you open on sunday?" fills no date);
2. otherwise a rule for the message's intent (rules with an `after`
   condition on the previous turn's last action win over plain ones; a
   `form_active` condition limits a rule to turns with or without a form);
3. otherwise the active form continues (and asks again);
4. otherwise the fallback action.

An action may hand over to follow-up actions (a form to `utter_ask_*`, a
completed form to its `on_complete` list, a custom action to what its result
names). The turn ends when no action is pending, and never runs more than
`max_actions` actions. Apart from what custom actions do with the turn's
database connection (actions.py), the policy is a function of its inputs; the
store persists what it returns in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from .actions import BUILTIN_ACTIONS, ActionContext, ActionError, RegisteredAction
from .domain import Domain
from .forms import Message, extract_candidates, run_form
from .tracker import ActionRecord, DialogueState, TurnOutcome, UnderstandingIn

FALLBACK_INTENT = "nlu_fallback"


class Policy:
    def __init__(
        self,
        domain: Domain,
        *,
        actions: Mapping[str, RegisteredAction] = BUILTIN_ACTIONS,
        max_actions: int = 10,
    ) -> None:
        if max_actions < 1:
            raise ValueError("max_actions must be at least 1")
        missing = [a for a in domain.actions if a not in actions]
        if missing:
            raise ValueError(f"no implementation for custom actions: {', '.join(missing)}")
        self.domain = domain
        self.actions = actions
        self.max_actions = max_actions

    def effective_intent(self, understanding: UnderstandingIn) -> str:
        """The intent the rules see: NLU fallbacks and unknown intents become nlu_fallback."""
        name = understanding.intent.name
        if understanding.fallback or name not in self.domain.intents:
            return FALLBACK_INTENT
        return name

    async def run(
        self,
        state: DialogueState,
        understanding: UnderstandingIn,
        text: str,
        *,
        now: datetime,
        connection: AsyncConnection | None = None,
        conversation_id: str | None = None,
        turn_id: str | None = None,
    ) -> TurnOutcome:
        """Decide and run the actions for one user message.

        `connection` is the transaction the turn is applied in, handed to custom
        actions; `now` is in the venue's time zone.
        """
        state = state.copy()
        message = Message(self.effective_intent(understanding), understanding, text)
        candidates = extract_candidates(self.domain, state, message, today=now.date())
        turn = _Turn(message, candidates, now, connection, conversation_id, turn_id)
        queue = self._first_actions(state, message, candidates)
        records: list[ActionRecord] = []
        events: list[object] = []
        while queue and len(records) < self.max_actions:
            name = queue.pop(0)
            queue[:0] = await self._execute(name, state, turn, events)
            records.append(
                ActionRecord(name, dict(state.slots), state.active_form, state.requested_slot)
            )
        state.last_action = records[-1].name
        return TurnOutcome(records, state, events, truncated=bool(queue))

    def _first_actions(
        self, state: DialogueState, message: Message, candidates: dict[str, object]
    ) -> list[str]:
        if state.active_form:
            form = self.domain.forms[state.active_form]
            if any(name in candidates for name in form.required_slots):
                return [state.active_form]
        rule = self._match_rule(message.intent, state)
        if rule is not None:
            return rule
        if state.active_form:
            return [state.active_form]
        return [self.domain.fallback_action]

    def _match_rule(self, intent: str, state: DialogueState) -> list[str] | None:
        """The first matching rule, rules with an `after` condition first."""
        form_active = state.active_form is not None
        rules = [
            r
            for r in self.domain.rules
            if r.intent == intent and r.form_active in (None, form_active)
        ]
        for rule in rules:
            if rule.after is not None and rule.after == state.last_action:
                return list(rule.actions)
        for rule in rules:
            if rule.after is None:
                return list(rule.actions)
        return None

    async def _execute(
        self, name: str, state: DialogueState, turn: _Turn, events: list[object]
    ) -> list[str]:
        if name in self.domain.forms:
            return run_form(self.domain, name, state, turn.candidates, turn.now)
        action = self.actions.get(name)
        if action is None:
            return []  # a response: the generation subgraph voices it
        ctx = ActionContext(
            name=name,
            domain=self.domain,
            slots=dict(state.slots),
            active_form=state.active_form,
            requested_slot=state.requested_slot,
            intent=turn.message.intent,
            understanding=turn.message.understanding,
            text=turn.message.text,
            candidates=dict(turn.candidates),
            now=turn.now,
            conversation_id=turn.conversation_id,
            turn_id=turn.turn_id,
            db=turn.connection,
        )
        result = await action.run(ctx)
        if result is None:
            return []
        unknown = sorted(set(result.slots) - set(self.domain.slots))
        if unknown:
            raise ActionError(f"{name} set slots the domain does not have: {', '.join(unknown)}")
        strangers = [f for f in result.followups if not self.domain.is_action(f)]
        if strangers:
            raise ActionError(f"{name} hands over to unknown actions: {', '.join(strangers)}")
        state.slots.update(result.slots)
        if result.end_form:
            state.active_form = None
            state.requested_slot = None
        events.extend(result.events)
        return list(result.followups)


@dataclass(frozen=True)
class _Turn:
    """The parts of one turn every action of it sees."""

    message: Message
    candidates: dict[str, Any]
    now: datetime
    connection: AsyncConnection | None
    conversation_id: str | None
    turn_id: str | None
