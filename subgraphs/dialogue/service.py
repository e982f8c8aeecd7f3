"""The dialogue service: domain, policy and store behind one object.

The GraphQL layer talks only to this; tests build it around their own engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import create_engine, database_url
from subgraphs.dialogue.domain import Domain, load_domain
from subgraphs.dialogue.extension import DialogueExtension, all_actions, load_extension
from subgraphs.dialogue.policy import Policy
from subgraphs.dialogue.settings import DialogueSettings
from subgraphs.dialogue.store import DialogueStore, clock_from, utc_now
from subgraphs.dialogue.tables import conversations


class DialogueService:
    def __init__(
        self,
        settings: DialogueSettings | None = None,
        *,
        engine: AsyncEngine | None = None,
        domain: Domain | None = None,
        extensions: Sequence[DialogueExtension] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Extensions come from the settings unless given; so does the domain."""
        self.settings = settings or DialogueSettings()
        if clock is None:
            start = self.settings.clock_start
            clock = utc_now if start is None else clock_from(start)
        if extensions is None:
            extensions = [load_extension(spec) for spec in self.settings.extensions]
        self.extensions = list(extensions)
        self.actions = all_actions(self.extensions)
        self.domain = domain or load_domain(self.settings.require_domain(), actions=self.actions)
        self.policy = Policy(
            self.domain, actions=self.actions, max_actions=self.settings.max_actions
        )
        self._owns_engine = engine is None
        self.engine = engine or create_engine(self.settings.database_url or database_url())
        self.store = DialogueStore(
            self.engine,
            self.domain,
            self.policy,
            wait_timeout=self.settings.wait_timeout_s,
            poll_interval=self.settings.poll_interval_s,
            clock=clock,
        )

    async def start(self) -> None:
        """Fail readiness with a clear message when the tables are missing."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.select(conversations.c.id).limit(1))
        except Exception as error:
            raise RuntimeError(
                "the dialogue tables are missing or unreachable; run `chorus migrate` "
                f"({type(error).__name__})"
            ) from error

    async def stop(self) -> None:
        if self._owns_engine:
            await self.engine.dispose()
