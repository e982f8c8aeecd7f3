"""Start-up of the generation subgraph: load templates and retrieval, wire the reply service.

The generator itself is a kit `ServedModel` (subgraphs/generation/generator.py),
started by the kit before this hook runs; when it serves no version the
subgraph still answers from templates and retrieval. The embedder loads in a
worker thread so /health keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import create_engine
from models.encoder import configure_torch
from models.generation.data import load_templates
from models.generation.embedding import SentenceEmbedder
from models.generation.faq import FaqBank
from models.generation.responder import Responder, ResponderOptions
from models.generation.retrieval import FaqSelector
from subgraphs.generation.generator import GeneratorModel, ServedGenerator
from subgraphs.generation.metrics import record_reply
from subgraphs.generation.service import ReplyService
from subgraphs.generation.settings import GenerationSettings
from subgraphs.generation.store import ReplyStore

log = logging.getLogger("chorus.generation")


class NotReady(RuntimeError):
    """A request arrived before the models finished loading."""


class GenerationRuntime:
    """Everything the resolvers need, created by the start-up hook."""

    def __init__(self, settings: GenerationSettings, generator: GeneratorModel | None) -> None:
        self.settings = settings
        self.generator = generator  # None: generation switched off
        self.engine: AsyncEngine | None = None
        self.responder: Responder | None = None
        self.service_: ReplyService | None = None

    @property
    def service(self) -> ReplyService:
        if self.service_ is None:
            raise NotReady("the generation subgraph is still loading its models")
        return self.service_

    async def start(self) -> None:
        s = self.settings
        configure_torch(s.torch_threads)
        self.engine = create_engine(s.resolved_database_url())
        templates = load_templates(s.require_domain(), s.generation_paraphrases)
        selector, embed = None, None
        if s.generation_faq is not None and Path(s.generation_faq).exists():
            bank = FaqBank.from_file(s.generation_faq)
            embedder = await asyncio.to_thread(SentenceEmbedder)
            embed = embedder.embed
            selector = await asyncio.to_thread(FaqSelector, bank, embed)
        responder = Responder(
            templates,
            selector=selector,
            embed=embed,
            generators=ServedGenerator(self.generator) if self.generator else None,
            on_reply=record_reply,
            options=ResponderOptions(
                max_new_tokens=s.generation_max_new_tokens,
                deadline_s=s.generation_deadline_ms / 1000,
                generative=s.generation_generative,
                max_batch_size=s.generation_max_batch_size,
                max_queue=s.generation_max_queue,
                instruction=s.instruction(),
            ),
        )
        await responder.start()
        self.responder = responder
        self.service_ = ReplyService(
            responder, ReplyStore(self.engine), wait_for_reply_s=s.generation_wait_for_reply_s
        )
        ref = self.generator.ref if self.generator else None
        log.info(
            "generation ready: %d actions, retrieval %s, generator %s",
            len(templates),
            "on" if selector else "off",
            f"{ref.name}@{ref.version}" if ref else "none",
        )

    async def stop(self) -> None:
        if self.service_ is not None:
            await self.service_.close()
        if self.responder is not None:
            await self.responder.stop()
        if self.engine is not None:
            await self.engine.dispose()
