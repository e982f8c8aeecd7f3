"""The served model: loading (registry or path), warm-up, batching, monitoring and hot swaps.

Every model call goes through one ``DynamicBatcher``; the batch function reads
``self.model`` at call time, so a reload swaps the model between two batches
and no request is dropped. Every answered call is recorded twice: in the
Prometheus series (``models.telemetry``) and in the in-memory rolling window
behind ``Query.modelStats`` (``models.monitoring.MONITOR``), under the model
name and version that produced it.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from pathlib import Path

from graphql import GraphQLError

from models import telemetry
from models.batching import DynamicBatcher, Overloaded
from models.db import create_engine, database_url
from models.monitoring import MONITOR
from models.nlu.model import NLUModel
from models.nlu.understanding import ModelRef, Understanding
from models.registry import ModelRegistry
from subgraphs.kit import overloaded, user_error
from subgraphs.nlu.settings import NLUSettings
from subgraphs.nlu.startup import process_age_s

log = logging.getLogger("chorus.nlu")


class ModelUnavailable(RuntimeError):
    """No model could be found or loaded; the subgraph stays unready."""


class NLUService:
    def __init__(self, settings: NLUSettings | None = None) -> None:
        self.settings = settings or NLUSettings()
        self.model: NLUModel | None = None
        self._swap_lock = asyncio.Lock()
        self.ready_after_start_s: float | None = None
        self.batcher: DynamicBatcher[str, Understanding] = DynamicBatcher(
            self._predict,
            name=self.settings.model_name,
            max_batch_size=self.settings.batch_size,
            max_wait_ms=self.settings.max_wait_ms,
            max_queue=self.settings.max_queue,
            # no sort_key: NLUModel.predict cuts a batch by token length itself
        )

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Load and warm up the model, then start the batcher (the readiness hook).

        Logs the time from process start (interpreter, imports, uvicorn) to ready.
        """
        began = time.perf_counter()
        path = await self._resolve_path(None)
        resolved = time.perf_counter()
        await self._install(path)
        await self.batcher.start()
        if self.settings.gc_freeze:
            # Move everything alive now (modules, weights, schema) out of the collector's
            # reach: a full collection over it stalled the event loop up to 160 ms under
            # load, which is what /health saw as its p99 (bench/inference.md).
            gc.collect()
            gc.freeze()
        if self.settings.gc_young_threshold:
            # A request allocates a few thousand short-lived objects, nearly all freed by
            # reference counting; at CPython's threshold (700) young collections ran every
            # request or so and took ~3 % of the loop's instructions (bench/inference.md).
            gc.set_threshold(self.settings.gc_young_threshold, *gc.get_threshold()[1:])
        self.ready_after_start_s = process_age_s()
        log.info(
            "nlu ready %.2f s after process start (registry %.2f s, load + warm-up %.2f s; "
            "batching %s, max_batch_size %d)",
            self.ready_after_start_s or -1.0,
            resolved - began,
            time.perf_counter() - resolved,
            "on" if self.settings.batching else "off",
            self.batcher.max_batch_size,
            extra={
                "ready_after_start_s": self.ready_after_start_s,
                "batching": self.settings.batching,
                "max_batch_size": self.batcher.max_batch_size,
            },
        )

    async def stop(self) -> None:
        await self.batcher.stop()

    async def reload(self, version: str | None = None) -> ModelRef:
        """Serve another registered version (production when ``version`` is None)."""
        async with self._swap_lock:
            await self._install(await self._resolve_path(version))
        assert self.model is not None
        return self.model.ref

    async def _install(self, path: Path) -> None:
        model = await asyncio.to_thread(self._load, path)
        self.model = model
        self.batcher.name, self.batcher.version = model.ref.name, model.ref.version
        log.info(
            "serving NLU model %s %s (%s) from %s",
            model.ref.name,
            model.ref.version,
            model.precision,
            path,
        )

    def _load(self, path: Path) -> NLUModel:
        try:
            model = NLUModel.load(path, precision=self.settings.precision)
        except (FileNotFoundError, ValueError, OSError) as exc:
            raise ModelUnavailable(f"cannot load NLU model from {path}: {exc}") from exc
        if self.settings.fallback_threshold is not None:
            model.config.fallback_threshold = self.settings.fallback_threshold
        if self.settings.ambiguity_threshold is not None:
            model.config.ambiguity_threshold = self.settings.ambiguity_threshold
        model.warm_up(self.batcher.max_batch_size)
        return model

    async def _resolve_path(self, version: str | None) -> Path:
        if self.settings.model_path is not None and version is None:
            return self.settings.model_path
        name, url = self.settings.model_name, database_url()
        engine = create_engine(url)
        try:
            registry = ModelRegistry(engine)
            found = await (registry.get(name, version) if version else registry.production(name))
        except Exception as exc:
            raise ModelUnavailable(
                f"cannot read the model registry at {url}: {exc} (run `chorus migrate`?)"
            ) from exc
        finally:
            await engine.dispose()
        if found is None:
            which = f"version {version}" if version else "production version"
            raise ModelUnavailable(
                f"no {which} of model {name!r} in the registry at {url}; train one with "
                "`chorus train nlu` (or set CHORUS_NLU_MODEL_PATH to a model directory)"
            )
        return Path(found.path)

    # ---- requests --------------------------------------------------------------------------
    def _predict(self, texts: list[str]) -> list[Understanding]:
        model = self.model
        if model is None:
            raise ModelUnavailable("the NLU model is not loaded")
        return model.predict(texts)

    def validate(self, text: str) -> str:
        if not text.strip():
            raise user_error("text must not be empty")
        limit = self.settings.max_text_length
        if len(text) > limit:
            raise user_error(
                f"text is {len(text)} characters long; the limit is {limit}",
                max_length=limit,
            )
        return text

    async def understand(self, text: str) -> Understanding:
        self.validate(text)
        if self.model is None:
            raise GraphQLError(
                "the NLU model is still loading or failed to load (see /ready)",
                extensions={"code": "MODEL_NOT_READY"},
            )
        began = time.perf_counter()
        try:
            understanding = await self.batcher.submit(text)
        except Overloaded as exc:
            raise overloaded(str(exc)) from exc
        self._monitor(understanding, time.perf_counter() - began)
        return understanding

    @staticmethod
    def _monitor(u: Understanding, latency_s: float) -> None:
        """Record one answered call (queue wait + forward pass) under the version that made it.

        The label is the model's top intent even when the answer fell back, so the
        confidence histogram shows which intents the model is unsure about.
        """
        top = u.ranking[0] if u.ranking else u.intent
        name, version = u.model.name, u.model.version
        telemetry.record_prediction(
            name, version, label=top.name, confidence=top.confidence, fallback=u.fallback
        )
        MONITOR.record(
            name, version, latency_s=latency_s, confidence=top.confidence, fallback=u.fallback
        )
