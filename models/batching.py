"""Dynamic batching: concurrent model calls share one forward pass.

Requests queue per model; a single worker drains up to `max_batch_size` of them
and runs the batch function in a dedicated thread, so the event loop keeps
serving (health checks included) while the model computes. The batcher is
adaptive: a lone request runs at once, and only when several are already
waiting does it linger up to `max_wait_ms` to fill the batch. Requests that
arrive during a forward pass queue up and form the next batch, which is where
the throughput gain under load comes from.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from opentelemetry import trace

from models import telemetry

In = TypeVar("In")
Out = TypeVar("Out")
T = TypeVar("T")


class Overloaded(Exception):
    """The batcher's queue is full: the caller should shed load (GraphQL code OVERLOADED)."""

    code = "OVERLOADED"


class BatcherStopped(Exception):
    """The batcher was stopped before the request could run."""


@dataclass(frozen=True)
class BatchStats:
    """What one forward pass looked like; handed to the `on_batch` hook (metrics, tracing)."""

    name: str
    size: int
    queue_wait_s: float
    forward_s: float


@dataclass
class _Pending(Generic[In, Out]):
    item: In
    future: asyncio.Future[Out]
    enqueued: float
    enqueued_ns: int = 0
    started_ns: int = 0
    finished_ns: int = 0
    batch_size: int = 0
    version: str = ""
    caller: trace.SpanContext | None = None  # the request's span, linked from the batch span


class DynamicBatcher(Generic[In, Out]):
    """Queue + worker that feeds `fn(list[In]) -> list[Out]` with batches.

    `fn` is synchronous and must return one output per input, in order. When it
    raises for a batch, each item is retried alone so one bad input fails only
    its own request. `sort_key` enables padding-aware grouping: a batch is
    sorted by the key and split where the key more than doubles, so short
    utterances are not padded to the length of a long one.
    """

    def __init__(
        self,
        fn: Callable[[list[In]], Sequence[Out]],
        *,
        name: str,
        version: str = "",
        max_batch_size: int = 32,
        max_wait_ms: float = 2.0,
        linger_gap_ms: float | None = None,
        max_queue: int = 1024,
        sort_key: Callable[[In], int] | None = None,
        on_batch: Callable[[BatchStats], None] | None = None,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError("max_batch_size must be at least 1")
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.fn = fn
        self.name = name
        # The serving model's version, read in the model thread as each forward pass starts;
        # change it together with the model through `between_batches`.
        self.version = version
        self.max_batch_size = max_batch_size
        self.max_wait_s = max(0.0, max_wait_ms) / 1000.0
        # None: a partial batch lingers up to max_wait; else it stops early once no
        # request arrived for this long (the traffic that would fill it has passed).
        self.linger_gap_s = None if linger_gap_ms is None else max(0.0, linger_gap_ms) / 1000.0
        self.max_queue = max_queue
        self.sort_key = sort_key
        self.on_batch = on_batch
        self._queue: deque[_Pending[In, Out]] = deque()
        self._wakeup: asyncio.Event | None = None
        self._wake_at = 1  # queue length that wakes the worker (more while a batch lingers)
        self._worker: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self.batches = 0  # drained batches
        self.passes = 0  # forward passes: a batch split for padding makes several
        self.items = 0
        self.in_flight = 0  # requests in the forward pass now running

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    @property
    def mean_batch_size(self) -> float:
        return self.items / self.batches if self.batches else 0.0

    async def start(self) -> None:
        if self._worker is not None:
            return
        self._wakeup = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"batch-{self.name}")
        self._worker = asyncio.create_task(self._run(), name=f"batcher-{self.name}")

    async def stop(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            try:
                await worker
            except asyncio.CancelledError:
                pass
        while self._queue:
            pending = self._queue.popleft()
            if not pending.future.done():
                pending.future.set_exception(BatcherStopped(f"batcher {self.name} stopped"))
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def submit(self, item: In) -> Out:
        """Queue one input and wait for its output (raises Overloaded when the queue is full)."""
        if self._worker is None:
            await self.start()
        if len(self._queue) >= self.max_queue:
            raise Overloaded(
                f"model {self.name} is overloaded: {len(self._queue)} requests queued "
                f"(limit {self.max_queue}); retry later"
            )
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        caller = trace.get_current_span().get_span_context()
        pending = _Pending(
            item,
            future,
            time.perf_counter(),
            time.time_ns(),
            caller=caller if caller.is_valid else None,
        )
        queue = self._queue
        queue.append(pending)
        telemetry.series(telemetry.QUEUE_DEPTH, self.name).set(len(queue))
        if len(queue) >= self._wake_at:
            assert self._wakeup is not None
            self._wakeup.set()
        error: BaseException | None = None
        try:
            return await future
        except BaseException as exc:
            error = exc
            raise
        finally:
            if pending.finished_ns:
                telemetry.record_call_span(
                    self.name,
                    pending.version,
                    enqueued_ns=pending.enqueued_ns,
                    started_ns=pending.started_ns,
                    finished_ns=pending.finished_ns,
                    batch_size=pending.batch_size,
                    error=error,
                )

    async def submit_many(self, items: Sequence[In]) -> list[Out]:
        return list(await asyncio.gather(*(self.submit(i) for i in items)))

    async def between_batches(self, fn: Callable[[], T]) -> T:
        """Run `fn` in the model thread, after the forward pass now running and before the next.

        A model swap done this way (the new model and `version` set together) is never
        seen half-done by a batch: each pass runs wholly on the old model or the new.
        """
        if self._executor is None:
            return fn()
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    async def _run(self) -> None:
        assert self._wakeup is not None
        while True:
            if not self._queue:
                self._wakeup.clear()
                await self._wakeup.wait()
            batch = self._drain()
            if not batch:
                continue
            if 1 < len(batch) < self.max_batch_size and self.max_wait_s > 0:
                # Traffic is concurrent: linger briefly so the batch fills up.
                await self._linger(batch)
            await self._execute(batch)

    async def _linger(self, batch: list[_Pending[In, Out]]) -> None:
        """Add requests to `batch` until it is full, `max_wait_ms` has passed, or (with
        `linger_gap_ms`) no request arrived for that long.

        The worker is woken when the queue holds enough to fill the batch, not on every
        arrival, and the gap is checked once per `linger_gap_ms`: a lingering batch costs
        the event loop one timer per gap, not a wake-up per request.
        """
        assert self._wakeup is not None
        deadline = time.perf_counter() + self.max_wait_s
        gap = self.linger_gap_s
        try:
            while len(batch) + len(self._queue) < self.max_batch_size:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                queued = len(self._queue)
                self._wake_at = self.max_batch_size - len(batch)
                self._wakeup.clear()
                timeout = remaining if gap is None else min(gap, remaining)
                try:
                    await asyncio.wait_for(self._wakeup.wait(), timeout)
                except TimeoutError:
                    if gap is None or len(self._queue) == queued:
                        break
        finally:
            self._wake_at = 1
        batch.extend(self._drain(self.max_batch_size - len(batch)))

    def _drain(self, limit: int | None = None) -> list[_Pending[In, Out]]:
        limit = self.max_batch_size if limit is None else limit
        batch: list[_Pending[In, Out]] = []
        while self._queue and len(batch) < limit:
            pending = self._queue.popleft()
            if not pending.future.done():  # skip requests whose caller went away
                batch.append(pending)
        telemetry.series(telemetry.QUEUE_DEPTH, self.name).set(len(self._queue))
        return batch

    async def _execute(self, batch: list[_Pending[In, Out]]) -> None:
        batch = [p for p in batch if not p.future.done()]
        if not batch:
            return
        started = time.perf_counter()
        queue_wait = started - min(p.enqueued for p in batch)
        loop = asyncio.get_running_loop()
        self.in_flight = len(batch)
        try:
            await self._execute_groups(loop, batch)
        finally:
            self.in_flight = 0
        forward = time.perf_counter() - started
        self.batches += 1
        self.items += len(batch)
        if self.on_batch is not None:
            self.on_batch(BatchStats(self.name, len(batch), queue_wait, forward))

    async def _execute_groups(
        self, loop: asyncio.AbstractEventLoop, batch: list[_Pending[In, Out]]
    ) -> None:
        for group in self._groups(batch):
            group_started = time.time_ns()
            try:
                version, outputs = await loop.run_in_executor(self._executor, self._call, group)
            except asyncio.CancelledError:
                for p in batch:  # this group and the ones that did not run yet
                    if not p.future.done():
                        p.future.set_exception(BatcherStopped(f"batcher {self.name} stopped"))
                raise
            group_finished = time.time_ns()
            self.passes += 1
            telemetry.record_batch(
                self.name, version, len(group), (group_finished - group_started) / 1e9
            )
            telemetry.record_batch_span(
                self.name,
                version,
                started_ns=group_started,
                finished_ns=group_finished,
                size=len(group),
                callers=[p.caller for p in group if p.caller is not None],
            )
            for pending in group:
                pending.started_ns, pending.finished_ns = group_started, group_finished
                pending.batch_size = len(group)
                pending.version = version
            _resolve(loop, list(zip(group, outputs, strict=True)))

    def _groups(self, batch: list[_Pending[In, Out]]) -> list[list[_Pending[In, Out]]]:
        if self.sort_key is None or len(batch) < 2:
            return [batch]
        key = self.sort_key
        ordered = sorted(batch, key=lambda p: key(p.item))
        groups: list[list[_Pending[In, Out]]] = [[ordered[0]]]
        floor = max(1, key(ordered[0].item))
        for pending in ordered[1:]:
            k = key(pending.item)
            if k > 2 * floor:
                groups.append([pending])
                floor = max(1, k)
            else:
                groups[-1].append(pending)
        return groups

    def _call(self, group: list[_Pending[In, Out]]) -> tuple[str, list[Out | _Failure]]:
        """The version this pass ran on (read here, in the model thread) and its outputs."""
        version = self.version
        return version, self._outputs(group)

    def _outputs(self, group: list[_Pending[In, Out]]) -> list[Out | _Failure]:
        items = [p.item for p in group]
        try:
            outputs = list(self.fn(items))
            if len(outputs) != len(items):
                raise RuntimeError(
                    f"batch function of {self.name} returned {len(outputs)} outputs "
                    f"for {len(items)} inputs"
                )
            return list(outputs)
        except Exception as exc:
            if len(items) == 1:
                return [_Failure(exc)]
        # Isolate the failure: run each item alone.
        results: list[Out | _Failure] = []
        for item in items:
            try:
                (single,) = self.fn([item])
                results.append(single)
            except Exception as exc:
                results.append(_Failure(exc))
        return results


RESOLVE_SLICE = 4
"""Callers woken per event-loop iteration when a batch finishes.

Waking all 32 callers of a batch at once runs 32 responses back to back in one
loop iteration (10-20 ms on the dev box), and a `/health` probe arriving then
waits for all of them; slices let the loop poll its sockets in between.
"""


def _resolve(
    loop: asyncio.AbstractEventLoop, results: list[tuple[_Pending[Any, Any], Any]]
) -> None:
    for pending, output in results[:RESOLVE_SLICE]:
        if pending.future.done():  # the caller went away
            continue
        if isinstance(output, _Failure):
            pending.future.set_exception(output.error)
        else:
            pending.future.set_result(output)
    if len(results) > RESOLVE_SLICE:
        loop.call_soon(_resolve, loop, results[RESOLVE_SLICE:])


@dataclass(frozen=True)
class _Failure:
    error: BaseException
