"""The dialogue policy: which actions answer a user message.

Order of precedence, as in Rasa's RulePolicy with forms:

1. an active form that the message can answer (it carries a value for the
   slot the form asked for) keeps the floor;
2. otherwise a rule for the message's intent (rules with an `after`
   condition on the previous turn's last action win over plain ones; a
   `form_active` condition limits a rule to turns with or without a form);
3. otherwise the active form continues (and asks again);
4. otherwise the fallback action.

An action may hand over to follow-up actions (a form to `utter_ask_*`, a
completed form to its `on_complete` list, a custom action to its response).
The turn ends when no action is pending, and never runs more than
`max_actions` actions. The policy is a pure function of its inputs; the store
persists what it returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from .booking_actions import CUSTOM_ACTION_FUNCTIONS, ActionContext
from .domain import Domain
from .forms import Message, extract_candidates, run_form
from .tracker import ActionRecord, ActiveBooking, DialogueState, TurnOutcome, UnderstandingIn

FALLBACK_INTENT = "nlu_fallback"


class Policy:
    def __init__(self, domain: Domain, *, max_actions: int = 10) -> None:
        if max_actions < 1:
            raise ValueError("max_actions must be at least 1")
        missing = [a for a in domain.actions if a not in CUSTOM_ACTION_FUNCTIONS]
        if missing:
            raise ValueError(f"no implementation for custom actions: {', '.join(missing)}")
        self.domain = domain
        self.max_actions = max_actions

    def effective_intent(self, understanding: UnderstandingIn) -> str:
        """The intent the rules see: NLU fallbacks and unknown intents become nlu_fallback."""
        name = understanding.intent.name
        if understanding.fallback or name not in self.domain.intents:
            return FALLBACK_INTENT
        return name

    def run(
        self,
        state: DialogueState,
        understanding: UnderstandingIn,
        text: str,
        *,
        now: datetime,
        booking: ActiveBooking | None = None,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:12],
    ) -> TurnOutcome:
        """Decide and run the actions for one user message."""
        state = state.copy()
        message = Message(self.effective_intent(understanding), understanding, text)
        candidates = extract_candidates(self.domain, state, message)
        ctx = ActionContext(self.domain, state, candidates, now, booking, new_id)
        queue = self._first_actions(state, message, candidates)
        records: list[ActionRecord] = []
        while queue and len(records) < self.max_actions:
            name = queue.pop(0)
            queue[:0] = self._execute(name, ctx)
            records.append(
                ActionRecord(name, dict(state.slots), state.active_form, state.requested_slot)
            )
        state.last_action = records[-1].name
        return TurnOutcome(records, state, ctx.effects, truncated=bool(queue))

    def _first_actions(
        self, state: DialogueState, message: Message, candidates: dict[str, object]
    ) -> list[str]:
        if state.active_form and state.requested_slot in candidates:
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

    def _execute(self, name: str, ctx: ActionContext) -> list[str]:
        if name in self.domain.forms:
            return run_form(self.domain, name, ctx.state, ctx.candidates, ctx.now)
        if name in CUSTOM_ACTION_FUNCTIONS:
            return CUSTOM_ACTION_FUNCTIONS[name](ctx)
        return []  # a response: the generation subgraph voices it
