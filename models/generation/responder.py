"""The layered responder: retrieval for FAQ actions, then the generator, then the template.

Every path streams: a template or retrieved answer is cut into word chunks, a
generated reply is shown token by token with its placeholders filled as soon
as they close. The guard judges the generated text once it is complete; when
it rejects it (a dropped or invented slot, a budget or deadline cut), a reset
chunk replaces what was streamed with the template, as it does when the
generator is overloaded or fails. Model calls go through dynamic batchers, so
concurrent turns share forward passes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from models import telemetry
from models.batching import DynamicBatcher, Overloaded
from models.generation.corpus import prompt_slots
from models.generation.generator import (
    DEFAULT_INSTRUCTION,
    CausalGenerator,
    GenerationRequest,
    GenerationResult,
)
from models.generation.guard import SlotGuard, Verdict
from models.generation.reply import (
    GENERATIVE,
    NONE,
    RETRIEVAL,
    TEMPLATE,
    ModelRef,
    Reply,
    ReplyChunk,
    word_chunks,
)
from models.generation.retrieval import FaqSelector
from models.generation.slots import filled, lexicalise, lexicalise_prefix
from models.generation.templates import ResponseTemplates
from models.monitoring import MONITOR

if TYPE_CHECKING:
    import torch

log = logging.getLogger("chorus.generation")


@dataclass(frozen=True)
class ReplyRequest:
    action: str
    slots: Mapping[str, str | None] = field(default_factory=dict)
    text: str | None = None  # the user's message, for retrieval
    seed: int = 0


@dataclass(frozen=True)
class ResponderOptions:
    max_new_tokens: int = 96
    deadline_s: float = 3.0
    generative: bool = True
    max_batch_size: int = 16
    max_wait_ms: float = 2.0
    max_queue: int = 256
    instruction: str = DEFAULT_INSTRUCTION  # opens prompts of plain (not delex) generators


@dataclass
class ResponderStats:
    replies: dict[str, int] = field(default_factory=dict)
    guard_rejections: int = 0
    overload_fallbacks: int = 0
    generator_errors: int = 0
    # the latest rejected texts with the guard's reason, for logs and tests
    rejections: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=50))

    def count(self, source: str) -> None:
        self.replies[source] = self.replies.get(source, 0) + 1


@dataclass(frozen=True)
class GenerationJob:
    """One generation, with the generator it was prompted for (a swap may come in between)."""

    generator: CausalGenerator
    request: GenerationRequest


class GeneratorSource(Protocol):
    """Which generator serves now, and how a job runs (batched, off the event loop)."""

    @property
    def current(self) -> CausalGenerator | None: ...

    async def generate(self, job: GenerationJob) -> GenerationResult: ...


class LocalGenerator:
    """A generator held in memory, run through the responder's own dynamic batcher."""

    def __init__(self, generator: CausalGenerator | None, options: ResponderOptions) -> None:
        self.current = generator
        self.batcher: DynamicBatcher[GenerationJob, GenerationResult] = DynamicBatcher(
            run_jobs,
            name=generator.name if generator else "generation",
            version=generator.version if generator else "",
            max_batch_size=options.max_batch_size,
            max_wait_ms=options.max_wait_ms,
            max_queue=options.max_queue,
            sort_key=lambda job: len(job.request.prompt),
        )

    async def generate(self, job: GenerationJob) -> GenerationResult:
        return await self.batcher.submit(job)

    def use(self, generator: CausalGenerator | None) -> None:
        """Switch models; requests already queued finish on the model they were prompted for."""
        self.current = generator
        if generator is not None:
            self.batcher.version = generator.version


class Responder:
    """Answers dialogue actions; owns the batchers of its models (start/stop)."""

    def __init__(
        self,
        templates: ResponseTemplates,
        *,
        selector: FaqSelector | None = None,
        embed: Callable[[list[str]], torch.Tensor] | None = None,
        generator: CausalGenerator | None = None,
        generators: GeneratorSource | None = None,
        options: ResponderOptions | None = None,
        on_reply: Callable[[Reply, str | None], None] | None = None,
    ) -> None:
        """`on_reply(reply, rejection)` sees every reply and, for a template that
        replaced a rejected generation, the guard's reason (metrics hook).

        The generator is `generator`, run by the responder's own batcher, or whatever
        `generators` serves (a serving layer that loads, batches and swaps versions)."""
        self.templates = templates
        self.guard = SlotGuard(templates)
        self.selector = selector
        self.options = options or ResponderOptions()
        self.stats = ResponderStats()
        self.on_reply = on_reply
        self.template_model = ModelRef("templates", templates.digest()[:12])
        self.retrieval_model: ModelRef | None = None
        self._embed_batcher: DynamicBatcher[str, Any] | None = None
        if selector is not None:
            if embed is None:
                raise ValueError("retrieval needs an embed function")
            self.retrieval_model = ModelRef("faq-retrieval", f"{selector.bank.digest()[:12]}")
            self._embed_batcher = DynamicBatcher(
                lambda texts: list(embed(texts)),
                name=self.retrieval_model.name,
                version=self.retrieval_model.version,
                max_batch_size=self.options.max_batch_size,
                max_wait_ms=self.options.max_wait_ms,
                max_queue=self.options.max_queue,
            )
        self._local: LocalGenerator | None = None
        if generators is None:
            self._local = generators = LocalGenerator(generator, self.options)
        self.generators: GeneratorSource = generators

    async def start(self) -> None:
        if self._local is not None:
            await self._local.batcher.start()
        if self._embed_batcher is not None:
            await self._embed_batcher.start()

    async def stop(self) -> None:
        if self._local is not None:
            await self._local.batcher.stop()
        if self._embed_batcher is not None:
            await self._embed_batcher.stop()

    @property
    def generator(self) -> CausalGenerator | None:
        return self.generators.current

    def use_generator(self, generator: CausalGenerator | None) -> None:
        """Switch models; requests already queued finish on the model they were prompted for."""
        if self._local is None:
            raise RuntimeError("the generator is served from outside; switch it there")
        self._local.use(generator)

    @property
    def generator_model(self) -> ModelRef | None:
        g = self.generator
        return ModelRef(g.name, g.version) if g is not None else None

    async def respond(self, request: ReplyRequest) -> Reply:
        reply: Reply | None = None
        async for chunk in self.stream(request, watched=_nobody):
            reply = chunk.reply or reply
        assert reply is not None
        return reply

    async def stream(
        self, request: ReplyRequest, watched: Callable[[], bool] | None = None
    ) -> AsyncIterator[ReplyChunk]:
        """The reply in chunks, the last one `done` with the whole reply.

        `watched` says whether anyone follows the chunks right now (None: always). While
        it says no, a generated reply sends no chunks before the last; once it says yes,
        the next chunk carries all the text so far.
        """
        values = filled(request.slots)
        retrieved = await self._retrieve(request)
        if retrieved is not None:
            async for chunk in word_chunks(retrieved):
                yield chunk
            return
        rendered = self.templates.render(request.action, values, request.seed)
        if rendered is None:
            reply = Reply("", NONE, None)
            self._done(reply)
            yield ReplyChunk("", "", done=True, reply=reply)
            return
        fallback = Reply(rendered.text, TEMPLATE, self.template_model)
        generator = self._generator_for(request.action, values)
        if generator is None:
            self._done(fallback)
            async for chunk in word_chunks(fallback):
                yield chunk
            return
        async for chunk in self._generate(generator, request, values, fallback, watched):
            yield chunk

    async def _retrieve(self, request: ReplyRequest) -> Reply | None:
        if (
            self.selector is None
            or self._embed_batcher is None
            or request.action not in self.selector.bank.actions
            or not (request.text or "").strip()
        ):
            return None
        import torch

        vector = await self._embed_batcher.submit(str(request.text))
        (match,) = self.selector.select(torch.stack([vector]))
        if match is None or not match.accepted:
            return None
        reply = Reply(match.entry.answer, RETRIEVAL, self.retrieval_model)
        self._done(reply)
        return reply

    def _generator_for(self, action: str, values: Mapping[str, str]) -> CausalGenerator | None:
        generator = self.generator
        if generator is None or not self.options.generative:
            return None
        if not self.templates.eligible(action, values):
            return None  # nothing the guard could hold the text against
        if generator.delexicalised and not generator.card.knows(
            action, prompt_slots(self.templates, action, values)
        ):
            return None  # a prompt it never saw in training: known to produce garbage
        return generator

    async def _generate(
        self,
        generator: CausalGenerator,
        request: ReplyRequest,
        values: Mapping[str, str],
        fallback: Reply,
        watched: Callable[[], bool] | None,
    ) -> AsyncIterator[ReplyChunk]:
        loop = asyncio.get_running_loop()
        updates: asyncio.Queue[str | None] = asyncio.Queue()

        def on_text(text: str) -> None:  # called from the batcher's worker thread
            loop.call_soon_threadsafe(updates.put_nowait, text)

        names = prompt_slots(self.templates, request.action, values)
        job = GenerationJob(
            generator,
            GenerationRequest(
                generator.prompt(request.action, values, names, self.options.instruction),
                max_new_tokens=generator.budget(self.options.max_new_tokens),
                deadline=time.monotonic() + self.options.deadline_s,
                seed=request.seed,
                on_text=on_text,
                watched=watched,
            ),
        )
        task = asyncio.ensure_future(self.generators.generate(job))
        task.add_done_callback(lambda _t: updates.put_nowait(None))
        shown = ""
        while True:
            raw = await updates.get()
            if raw is None:
                break
            text = lexicalise_prefix(raw, values) if generator.delexicalised else raw
            if text.startswith(shown) and len(text) > len(shown):
                yield ReplyChunk(text[len(shown) :], text)
                shown = text

        result: GenerationResult | None = None
        try:
            result = task.result()
            verdict = self._judge(generator, request.action, result, values)
        except Overloaded:
            self.stats.overload_fallbacks += 1
            log.warning("generator overloaded; answering %s from the template", request.action)
            verdict = Verdict(False, problems=("overloaded",))
        except Exception:  # a broken model must not cost the user a reply
            self.stats.generator_errors += 1
            log.exception("generator failed; answering %s from the template", request.action)
            verdict = Verdict(False, problems=("generator error",))
        if result is not None:
            telemetry.record_generation(
                generator.name, generator.version, tokens=result.new_tokens, seconds=result.seconds
            )
            MONITOR.record(
                generator.name, generator.version, latency_s=result.seconds, fallback=not verdict.ok
            )
        rejection: str | None = None
        if verdict.ok and result is not None:
            final = lexicalise(result.text, values) if generator.delexicalised else result.text
            reply = Reply(final, GENERATIVE, ModelRef(generator.name, generator.version))
        else:
            if result is not None:
                rejection = str(verdict)
                self.stats.guard_rejections += 1
                self.stats.rejections.append((result.text, rejection))
                log.info("guard rejected %r for %s: %s", result.text, request.action, verdict)
            reply = fallback
        self._done(reply, rejection)
        if reply.text.startswith(shown):
            if len(reply.text) > len(shown):
                yield ReplyChunk(reply.text[len(shown) :], reply.text)
        else:
            yield ReplyChunk(reply.text, reply.text, reset=True)
        yield ReplyChunk("", reply.text, done=True, reply=reply)

    def _done(self, reply: Reply, rejection: str | None = None) -> None:
        self.stats.count(reply.source)
        if self.on_reply is not None:
            self.on_reply(reply, rejection)

    def _judge(
        self,
        generator: CausalGenerator,
        action: str,
        result: GenerationResult,
        values: Mapping[str, str],
    ) -> Verdict:
        if result.stop != "eos":
            return Verdict(False, problems=(f"cut off ({result.stop})",))
        if generator.delexicalised:
            return self.guard.check_delexicalised(action, result.text, values)
        return self.guard.check_lexicalised(action, result.text, values)


def run_jobs(jobs: list[GenerationJob]) -> list[GenerationResult]:
    """Batch function: one forward loop per generator (a switch may leave two in a batch)."""
    results: dict[int, GenerationResult] = {}
    groups: dict[int, list[int]] = {}
    for index, job in enumerate(jobs):
        groups.setdefault(id(job.generator), []).append(index)
    for indices in groups.values():
        generator = jobs[indices[0]].generator
        outputs = generator([jobs[i].request for i in indices])
        results.update(zip(indices, outputs, strict=True))
    return [results[i] for i in range(len(jobs))]


def _nobody() -> bool:
    """`watched` for a reply only wanted whole: no chunk is sent before the last."""
    return False
