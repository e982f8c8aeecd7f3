"""`ServedModel`: a model declared once, served batched, versioned and hot-swappable.

A team says how one registered version is loaded and how a batch is predicted;
the kit does the rest. `create_app(..., models=[...])` starts it with the app:
the registry's production version is looked up and loaded off the event loop,
warmed up, and `/ready` turns 200 once it serves. Calls go through one
`DynamicBatcher`, so concurrent requests share a forward pass that runs in a
worker thread; each result comes back with the `ModelRef` of the version that
computed it. The registry is polled: when another version is promoted, it is
loaded beside the serving one and swapped in between two forward passes, so no
request fails and none waits for the load.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, NamedTuple, TypeVar

from models import telemetry
from models.batching import DynamicBatcher, Overloaded
from models.db import database_url
from models.monitoring import MONITOR
from subgraphs.kit.artifacts import (
    Artifact,
    ModelUnavailable,
    RegistrySource,
    explicit_path,
    from_path,
    poll_interval,
)
from subgraphs.kit.errors import ModelNotReady, ModelOverloaded
from subgraphs.kit.heap import refreeze
from subgraphs.kit.types import ModelRef

log = logging.getLogger("chorus.kit")

M = TypeVar("M")
In = TypeVar("In")
Out = TypeVar("Out")


class Prediction(NamedTuple, Generic[Out]):
    """One output and the model version that computed it (`output, model = await served(x)`)."""

    output: Out
    model: ModelRef


@dataclass(frozen=True)
class Outcome:
    """What a classifier's output says about itself, for `modelStats` and the metrics."""

    label: str | None = None
    confidence: float | None = None
    fallback: bool | None = None


class _Loaded(NamedTuple, Generic[M]):
    model: M
    ref: ModelRef


class ServedModel(Generic[M, In, Out]):
    """A model served from the registry: `await served(item)` -> `Prediction(output, model)`.

    - `name`: the model's name in the registry (its production version is served).
    - `load(artifact) -> model`: read one version's files (`artifact.path`); runs in a thread.
    - `predict(model, items) -> outputs`: one output per input, in order; runs in the
      model thread with up to `max_batch_size` items from concurrent requests.
    - `warm_up(model)`: optional, runs after `load`, before the version serves.
    - `max_wait_ms`: how long a partial batch may wait for more requests (only under
      concurrency); `linger_gap_ms`: it stops waiting sooner once no request arrived for
      that long (None: it waits `max_wait_ms`); `max_queue`: waiting requests beyond it
      are refused (OVERLOADED).
    - `sort_key(item)`: optional; a batch is split where it more than doubles (padding).
    - `path`: serve this directory instead of the registry (also `CHORUS_<NAME>_MODEL_PATH`).
    - `poll_s`: seconds between two registry checks for a newly promoted version (0: never;
      None: `CHORUS_MODEL_POLL_S`, else 5).
    - `required`: False lets the subgraph be ready without this model (it degrades).
    - `outcome(output)`: optional label/confidence/fallback of an output, for `modelStats`.
    - `monitor`: False when the caller records its own `modelStats` samples.
    """

    def __init__(
        self,
        name: str,
        *,
        load: Callable[[Artifact], M],
        predict: Callable[[M, list[In]], Sequence[Out]],
        warm_up: Callable[[M], object] | None = None,
        max_batch_size: int = 32,
        max_wait_ms: float = 2.0,
        linger_gap_ms: float | None = None,
        max_queue: int = 1024,
        sort_key: Callable[[In], int] | None = None,
        path: Path | str | None = None,
        poll_s: float | None = None,
        required: bool = True,
        database_url: str | None = None,
        outcome: Callable[[Out], Outcome] | None = None,
        monitor: bool = True,
    ) -> None:
        if not name:
            raise ValueError("a served model needs a name")
        if poll_s is not None and poll_s < 0:
            raise ValueError("poll_s must be 0 (never poll) or positive")
        self.name = name
        self._load_fn = load
        self._predict_fn = predict
        self._warm_up_fn = warm_up
        self.path = path
        self.poll_s = poll_s
        self.required = required
        self.database_url = database_url
        self._outcome = outcome
        self._monitor = monitor
        self.batcher: DynamicBatcher[In, tuple[Out, ModelRef]] = DynamicBatcher(
            self._batch,
            name=name,
            max_batch_size=max_batch_size,
            max_wait_ms=max_wait_ms,
            linger_gap_ms=linger_gap_ms,
            max_queue=max_queue,
            sort_key=sort_key,
        )
        self._current: _Loaded[M] | None = None
        self._error: str | None = None
        self._started = False
        self._registry: RegistrySource | None = None
        self._followed: str | None = None  # the production version last seen in the registry
        self._swap_lock = asyncio.Lock()
        self._poller: asyncio.Task[None] | None = None

    # ---- state -------------------------------------------------------------------------------
    @property
    def model(self) -> M | None:
        """The loaded model object now serving (None while none is loaded)."""
        current = self._current
        return current.model if current is not None else None

    @property
    def ref(self) -> ModelRef | None:
        """Name and version now serving (None while none is loaded)."""
        current = self._current
        return current.ref if current is not None else None

    @property
    def ready(self) -> bool:
        """Start-up is over and a version serves (or the model is optional)."""
        return self._started and (self._current is not None or not self.required)

    @property
    def error(self) -> str | None:
        """Why no version serves, while none does (None for an optional model)."""
        if self._current is not None or not self.required:
            return None
        return self._error

    # ---- requests ----------------------------------------------------------------------------
    async def __call__(self, item: In) -> Prediction[Out]:
        """Predict one item, batched with concurrent calls; raises MODEL_NOT_READY / OVERLOADED."""
        if self._current is None:
            raise ModelNotReady(self.name, self._error)
        began = time.perf_counter()
        try:
            output, ref = await self.batcher.submit(item)
        except Overloaded as exc:
            raise ModelOverloaded(str(exc)) from exc
        if self._monitor:
            self._record(output, ref, time.perf_counter() - began)
        return Prediction(output, ref)

    def _batch(self, items: list[In]) -> list[tuple[Out, ModelRef]]:
        """The batcher's function, in the model thread: swaps happen in this thread too."""
        current = self._current
        if current is None:
            raise ModelNotReady(self.name, self._error)
        ref = current.ref
        return [(output, ref) for output in self._predict_fn(current.model, items)]

    def _record(self, output: Out, ref: ModelRef, latency_s: float) -> None:
        o = self._outcome(output) if self._outcome is not None else Outcome()
        MONITOR.record(
            ref.name, ref.version, latency_s=latency_s, confidence=o.confidence, fallback=o.fallback
        )
        if o.label is not None and o.confidence is not None:
            telemetry.record_prediction(
                ref.name,
                ref.version,
                label=o.label,
                confidence=o.confidence,
                fallback=bool(o.fallback),
            )

    # ---- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        """Load the version to serve and start batching; never raises (see `error`)."""
        await self.batcher.start()
        path = explicit_path(self.name, self.path)
        if path is None:
            self._registry = RegistrySource(self.name, self.database_url or database_url())
        try:
            artifact = from_path(self.name, path) if path is not None else await self._production()
            await self._install(artifact)
        except ModelUnavailable as exc:
            self._fail(str(exc))
        except Exception as exc:
            self._fail(f"{type(exc).__name__}: {exc}")
        finally:
            self._started = True
        every = poll_interval(self.poll_s)
        if self._registry is not None and every > 0:
            self._poller = asyncio.create_task(self._follow(every), name=f"follow-{self.name}")

    async def stop(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            try:
                await poller
            except asyncio.CancelledError:
                pass
        await self.batcher.stop()
        if self._registry is not None:
            await self._registry.close()
            self._registry = None
        self._current = None
        self._started = False

    async def reload(self, version: str | None = None) -> ModelRef:
        """Serve `version` (the production one when None) from now on, without downtime.

        A version picked by name stays until the registry's production version changes.
        Raises `UnknownModelVersion` or `ModelUnavailable`; the serving version stays then.
        """
        path = explicit_path(self.name, self.path)
        if version is None and path is not None:
            artifact = from_path(self.name, path)
        else:
            registry = self._registry or RegistrySource(
                self.name, self.database_url or database_url()
            )
            self._registry = registry
            if version is None:
                artifact = await self._production()
            else:
                artifact = await registry.version(version)
        await self._install(artifact)
        return artifact.model

    async def _production(self) -> Artifact:
        assert self._registry is not None
        found = await self._registry.production()
        if found is None:
            raise ModelUnavailable(self._registry.missing())
        self._followed = found.model.version
        return found

    async def _install(self, artifact: Artifact) -> None:
        async with self._swap_lock:
            began = time.perf_counter()
            model = await asyncio.to_thread(self._load, artifact)
            loaded = _Loaded(model, artifact.model)

            def swap() -> None:  # in the model thread, between two forward passes
                self._current = loaded
                self.batcher.version = artifact.model.version

            await self.batcher.between_batches(swap)
            self._error = None
            refreeze()  # the replaced version's objects, cycles included, can go
        log.info(
            "serving model %s version %s from %s (loaded in %.2f s)",
            self.name,
            artifact.model.version,
            artifact.path,
            time.perf_counter() - began,
            extra={"model": self.name, "version": artifact.model.version},
        )

    def _load(self, artifact: Artifact) -> M:
        try:
            model = self._load_fn(artifact)
            if self._warm_up_fn is not None:
                self._warm_up_fn(model)
        except Exception as exc:
            raise ModelUnavailable(
                f"cannot load model {self.name!r} version {artifact.model.version} "
                f"from {artifact.path}: {type(exc).__name__}: {exc}"
            ) from exc
        return model

    def _fail(self, reason: str) -> None:
        self._error = reason
        level = logging.ERROR if self.required else logging.INFO
        log.log(level, "model %s is not served: %s", self.name, reason)

    async def _follow(self, every: float) -> None:
        """Poll the registry; a newly promoted production version is loaded and swapped in."""
        assert self._registry is not None
        while True:
            await asyncio.sleep(every)
            try:
                found = await self._registry.production()
            except ModelUnavailable as exc:
                log.debug("registry poll of %s failed: %s", self.name, exc)
                continue
            if found is None or found.model.version == self._followed:
                continue
            self._followed = found.model.version  # a broken version is tried once, not forever
            log.info("model %s: version %s was promoted", self.name, found.model.version)
            try:
                await self._install(found)
            except Exception as exc:
                reason = str(exc)
                if self._current is None:
                    self._fail(reason)
                else:
                    log.error("model %s keeps serving %s: %s", self.name, self.ref, reason)
