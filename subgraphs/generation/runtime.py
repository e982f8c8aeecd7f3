"""Start-up of the generation subgraph: load templates and models, warm them, wire the service.

The generator is the registry's production version of `generation` (or a
directory named in the settings). When there is none, or the registry cannot
be read, the subgraph still serves templates and retrieval. Loading and
warm-up run in worker threads so /health keeps answering meanwhile.
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
from models.generation.generator import CausalGenerator
from models.generation.reply import ModelRef
from models.generation.responder import Responder, ResponderOptions
from models.generation.retrieval import FaqSelector
from models.registry import ModelRegistry, RegistryError
from subgraphs.generation.metrics import record_reply
from subgraphs.generation.service import ReplyService
from subgraphs.generation.settings import GenerationSettings
from subgraphs.generation.store import ReplyStore

log = logging.getLogger("chorus.generation")


class NotReady(RuntimeError):
    """A request arrived before the models finished loading."""


class GenerationRuntime:
    """Everything the resolvers need, created by the start-up hook."""

    def __init__(self, settings: GenerationSettings) -> None:
        self.settings = settings
        self.engine: AsyncEngine | None = None
        self.responder: Responder | None = None
        self.service_: ReplyService | None = None
        self._switch_lock = asyncio.Lock()

    @property
    def service(self) -> ReplyService:
        if self.service_ is None:
            raise NotReady("the generation subgraph is still loading its models")
        return self.service_

    async def start(self) -> None:
        s = self.settings
        configure_torch(s.torch_threads)
        self.engine = create_engine(s.resolved_database_url())
        templates = load_templates(s.generation_domain, s.generation_paraphrases)
        selector, embed = None, None
        if s.generation_faq is not None and Path(s.generation_faq).exists():
            bank = FaqBank.from_file(s.generation_faq)
            embedder = await asyncio.to_thread(SentenceEmbedder)
            embed = embedder.embed
            selector = await asyncio.to_thread(FaqSelector, bank, embed)
        generator = await self._initial_generator()
        responder = Responder(
            templates,
            selector=selector,
            embed=embed,
            generator=generator,
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
        log.info(
            "generation ready: %d actions, retrieval %s, generator %s",
            len(templates),
            "on" if selector else "off",
            f"{generator.name}@{generator.version}" if generator else "none",
        )

    async def stop(self) -> None:
        if self.service_ is not None:
            await self.service_.close()
        if self.responder is not None:
            await self.responder.stop()
        if self.engine is not None:
            await self.engine.dispose()

    async def switch_generator(self, version: str) -> ModelRef:
        """Serve another registered version; requests in flight finish on the old one."""
        if self.responder is None or self.engine is None:
            raise NotReady("the generation subgraph is still loading its models")
        async with self._switch_lock:
            found = await ModelRegistry(self.engine).get(
                self.settings.generation_model_name, version
            )
            if found is None:
                raise RegistryError(
                    f"model {self.settings.generation_model_name} has no version {version}"
                )
            generator = await asyncio.to_thread(self._load, Path(found.path), version)
            self.responder.use_generator(generator)
        return ModelRef(generator.name, generator.version)

    async def _initial_generator(self) -> CausalGenerator | None:
        s = self.settings
        if not s.generation_generative:
            return None
        path = s.generation_model_dir
        if path is None:
            assert self.engine is not None
            try:
                found = await ModelRegistry(self.engine).production(s.generation_model_name)
            except Exception as exc:  # no registry table yet: serve without a generator
                log.warning("model registry unreadable (%s); serving templates only", exc)
                return None
            if found is None:
                log.info(
                    "no production %s model registered; templates only", s.generation_model_name
                )
                return None
            return await asyncio.to_thread(self._load, Path(found.path), found.version)
        return await asyncio.to_thread(self._load, Path(path), None)

    def _load(self, path: Path, version: str | None) -> CausalGenerator:
        name = self.settings.generation_model_name if version is not None else None
        generator = CausalGenerator.load(
            path, threads=self.settings.torch_threads, name=name, version=version
        )
        generator.warm_up()
        return generator
