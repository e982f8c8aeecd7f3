"""Conversations and turns in SQL, applied once and in order.

`say` appends a turn with the next index under the conversation's lock.
`resolve_action` is called when the router brings the turn's understanding;
the policy must run exactly once per turn and turns must be applied in index
order, although the resolutions of concurrent requests arrive in any order:

1. Under the conversation lock, store the understanding on the turn and
   apply every consecutive turn whose understanding is there, starting after
   `applied_index`. Each applied turn stores its actions and the slots after
   it in that same transaction, in which its custom actions did their writes.
2. If our turn is still waiting for an earlier one, sleep until signalled
   (this process) or the poll interval passes (other replicas), then look
   again. Whoever delivers the missing understanding applies the backlog.
3. If the wait exceeds `wait_timeout`, the earlier turn's request is taken for
   dead: it is marked skipped (action `action_listen`, slots unchanged) and
   the backlog is applied.

Later resolutions of a turn return what was stored; they never run the
policy again.
"""

from __future__ import annotations

import json
import time as clock_time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .domain import Domain
from .locking import lock_conversation
from .policy import Policy
from .signals import TurnSignals
from .tables import DONE, PENDING, SKIPPED, UNDERSTOOD, conversations, turns
from .tracker import ActionRecord, DialogueState, UnderstandingIn
from .views import ConversationView, TurnView, aware, turn_view

LISTEN = "action_listen"
#: pending turns `DialogueStore.said` keeps for the action request that follows `say`
_SAID_KEPT = 1024


class ConversationNotFound(LookupError):
    pass


class TurnNotFound(LookupError):
    pass


def utc_now() -> datetime:
    return datetime.now(UTC)


def clock_from(start: datetime) -> Callable[[], datetime]:
    """A clock that reads `start` now and runs at the real clock's pace from there."""
    if start.tzinfo is None:
        raise ValueError(f"the clock start {start.isoformat()} needs a UTC offset")
    offset = start - datetime.now(UTC)
    return lambda: datetime.now(UTC) + offset


def _new_id() -> str:
    return uuid.uuid4().hex


class DialogueStore:
    def __init__(
        self,
        engine: AsyncEngine,
        domain: Domain,
        policy: Policy,
        *,
        wait_timeout: float = 10.0,
        poll_interval: float = 0.05,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = engine
        self.domain = domain
        self.policy = policy
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.clock = clock
        self.signals = TurnSignals()
        #: turns `say` appended here lately, until their action is asked for (`said`)
        self._said: OrderedDict[str, TurnView] = OrderedDict()

    # -- writes -----------------------------------------------------------

    async def say(self, conversation_id: str | None, text: str) -> TurnView:
        """Append a turn (to a new conversation when the id is None)."""
        now = self.clock()
        async with self.engine.begin() as conn:
            if conversation_id is None:
                conversation_id = _new_id()
                await conn.execute(
                    sa.insert(conversations).values(
                        id=conversation_id,
                        domain=self.domain.name,
                        created_at=now,
                        updated_at=now,
                        turn_count=1,
                        applied_index=-1,
                        lock_seq=0,
                        slots={},
                    )
                )
                index = 0
            else:
                bump = (
                    sa.update(conversations)
                    .where(conversations.c.id == conversation_id)
                    .values(turn_count=conversations.c.turn_count + 1, updated_at=now)
                    .returning(conversations.c.turn_count)
                )
                row = (await conn.execute(bump)).first()
                if row is None:
                    raise ConversationNotFound(conversation_id)
                index = row.turn_count - 1
            turn_id = _new_id()
            await conn.execute(
                sa.insert(turns).values(
                    id=turn_id,
                    conversation_id=conversation_id,
                    index=index,
                    text=text,
                    status=PENDING,
                    created_at=now,
                )
            )
        view = TurnView(turn_id, conversation_id, index, text, PENDING, now, None, None, None, [])
        self._said[turn_id] = view
        if len(self._said) > _SAID_KEPT:
            self._said.popitem(last=False)
        return view

    def said(self, turn_id: str) -> TurnView | None:
        """The pending turn `say` returned in this process, handed out once; None: read it.

        The router asks for a turn's action in a second request, moments after `say`;
        `resolve_action` needs only the turn's immutable head (id, conversation, index)
        and re-reads the settled turn itself, so reading the pending turn first would
        be one statement and one pooled connection a turn for nothing. Another replica,
        or a turn said long ago, misses and reads.
        """
        return self._said.pop(turn_id, None)

    async def resolve_action(
        self, turn_id: str, understanding: UnderstandingIn, *, turn: TurnView | None = None
    ) -> TurnView:
        """Run the policy for a turn once, in order; return the settled turn.

        `turn`: the turn as the caller just read it, which saves reading it again (the
        entity resolution of `Turn.action` has); applying stays idempotent either way.
        """
        if turn is None or turn.id != turn_id:
            turn = await self.turn(turn_id)
        if turn.settled:
            return turn
        deadline = clock_time.monotonic() + self.wait_timeout
        settled = await self._apply(turn, understanding, give_up=False)
        if settled is not None:  # settled by this request: as committed, no read needed
            return settled
        while True:
            turn = await self.turn(turn_id)
            if turn.settled:
                return turn
            remaining = deadline - clock_time.monotonic()
            if remaining <= 0:
                await self._apply(turn, understanding, give_up=True)
                turn = await self.turn(turn_id)
                if not turn.settled:  # cannot happen while turns are applied in order
                    raise RuntimeError(f"turn {turn_id} could not be applied")
                return turn
            await self.signals.wait(turn.conversation_id, min(self.poll_interval, remaining))

    async def _apply(
        self, turn: TurnView, understanding: UnderstandingIn, *, give_up: bool
    ) -> TurnView | None:
        """Store the understanding and apply what is ready; `turn` as settled, if it was."""
        async with self.engine.begin() as conn:
            conversation = await lock_conversation(conn, turn.conversation_id)
            if conversation is None:
                raise ConversationNotFound(turn.conversation_id)
            await conn.execute(
                sa.update(turns)
                .where(turns.c.id == turn.id, turns.c.status == PENDING)
                .values(understanding=understanding.model_dump(mode="json"), status=UNDERSTOOD)
            )
            applied = await self._drain(
                conn, conversation, skip_before=turn.index if give_up else -1
            )
        if applied:
            self.signals.notify(turn.conversation_id)
        return next((view for view in applied if view.id == turn.id), None)

    async def _drain(
        self, conn: AsyncConnection, conversation: Row, *, skip_before: int
    ) -> list[TurnView]:
        """Apply consecutive ready turns after `applied_index`; the turns it settled."""
        rows = (
            await conn.execute(
                sa.select(turns)
                .where(
                    turns.c.conversation_id == conversation.id,
                    turns.c.index > conversation.applied_index,
                )
                .order_by(turns.c.index)
            )
        ).all()
        state = DialogueState(
            dict(conversation.slots or {}),
            conversation.active_form,
            conversation.requested_slot,
            conversation.last_action,
        )
        applied_index = conversation.applied_index
        now = self.clock()
        settled: list[TurnView] = []
        for row in rows:
            index = row._mapping["index"]  # Row.index is tuple.index
            if index != applied_index + 1:
                break
            if row.status == UNDERSTOOD:
                outcome = await self.policy.run(
                    state,
                    UnderstandingIn.model_validate(row.understanding),
                    row.text,
                    now=now.astimezone(self.domain.venue.tz),
                    connection=conn,
                    conversation_id=conversation.id,
                    turn_id=row.id,
                )
                state = outcome.state
                settled.append(await self._settle(conn, row, DONE, outcome.actions, state, now))
            elif row.status == PENDING and index < skip_before:
                listen = ActionRecord(
                    LISTEN, dict(state.slots), state.active_form, state.requested_slot
                )
                settled.append(await self._settle(conn, row, SKIPPED, [listen], state, now))
            else:
                break
            applied_index = index
        if not settled:
            return settled
        await conn.execute(
            sa.update(conversations)
            .where(conversations.c.id == conversation.id)
            .values(
                applied_index=applied_index,
                slots=state.slots,
                active_form=state.active_form,
                requested_slot=state.requested_slot,
                last_action=state.last_action,
                updated_at=now,
            )
        )
        return settled

    async def _settle(
        self,
        conn: AsyncConnection,
        row: Row,
        status: str,
        actions: list[ActionRecord],
        state: DialogueState,
        now: datetime,
    ) -> TurnView:
        """Store the turn's outcome; the turn as a read after the commit will return it."""
        stored = [a.to_json() for a in actions]
        slots_after = dict(state.slots)
        await conn.execute(
            sa.update(turns)
            .where(turns.c.id == row.id)
            .values(
                status=status,
                action=stored[-1],
                actions=stored,
                slots_after=slots_after,
                applied_at=now,
            )
        )
        # the JSON columns as they come back from the database: through JSON
        read = json.loads(json.dumps({"actions": stored, "slots_after": slots_after}))
        return replace(
            turn_view(row),
            status=status,
            slots_after=read["slots_after"],
            action=ActionRecord.from_json(read["actions"][-1]),
            actions=[ActionRecord.from_json(a) for a in read["actions"]],
        )

    # -- reads --------------------------------------------------------------

    async def turn(self, turn_id: str) -> TurnView:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(turns).where(turns.c.id == turn_id))).first()
        if row is None:
            raise TurnNotFound(turn_id)
        return turn_view(row)

    async def turns_of(self, conversation_id: str) -> list[TurnView]:
        async with self.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(turns)
                    .where(turns.c.conversation_id == conversation_id)
                    .order_by(turns.c.index)
                )
            ).all()
        return [turn_view(row) for row in rows]

    async def conversation(self, conversation_id: str) -> ConversationView:
        async with self.engine.connect() as conn:
            query = sa.select(conversations).where(conversations.c.id == conversation_id)
            row = (await conn.execute(query)).first()
        if row is None:
            raise ConversationNotFound(conversation_id)
        state = DialogueState(
            dict(row.slots or {}), row.active_form, row.requested_slot, row.last_action
        )
        return ConversationView(
            row.id, aware(row.created_at), row.turn_count, row.applied_index, state
        )
