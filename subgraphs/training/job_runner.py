"""What a worker does with one claimed job: train, register the candidate, run the gate.

It runs outside the serving process (a local worker process, or a distributed engine's
worker) and talks to the world through the job's row and the model registry only:

1. resolve the model in the trainer registry (`CHORUS_MODEL_SPECS` + entry points) and
   plan the training exactly as `chorus train` does (`models.train_version`);
2. when the trainer can split its data, cut off the held-out part (kept in
   ``<data dir>/training/<job id>/``) and train on the rest;
3. register the version as a candidate;
4. evaluate the candidate and the production version on the held-out data, keep both
   evaluations with the versions and the comparison with the candidate (the gate that
   `promoteModel` applies);
5. finish the row. Progress (step, epoch, loss, validation metrics) and log lines are
   written to the row as they come, so subscriptions stream them.

Every write is conditional on the job's claim: a cancelled job stops counting at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models.db import data_dir
from models.evaluation_gate import gate_record
from models.registry import ModelRegistry, ModelVersion
from models.train_version import TrainedVersion, TrainPlan, plan_training, run_plan
from models.trainer_registry import RegisteredModel, registry_from_environment
from models.trainers import DataSplit, Evaluation, TrainProgress
from subgraphs.training.correction_data import accepts_corrections, merge_into
from subgraphs.training.store import Job, JobStore

log = logging.getLogger("chorus.training")

SPLIT_SEED = 0
REPORT_INTERVAL_S = 0.2


class Lost(Exception):
    """The job is no longer ours (cancelled, or failed by a recovery sweep)."""


def headline(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """The scalar metrics (per-class reports and error lists stay in the artefact)."""
    return {k: v for k, v in metrics.items() if not isinstance(v, dict | list)}


def progress_fields(p: TrainProgress, previous: Mapping[str, Any]) -> dict[str, Any]:
    """A report merged into the last one: a message-only report keeps the bar where it was."""
    merged = dict(previous)
    for key in ("step", "total", "loss", "epoch"):
        value = getattr(p, key)
        if value is not None:
            merged[key] = value
    if p.label:
        merged["label"] = p.label
    if p.metrics:
        merged["metrics"] = {k: float(v) for k, v in p.metrics.items()}
    step, total = merged.get("step"), merged.get("total")
    if isinstance(step, int) and isinstance(total, int) and total > 0:
        merged["fraction"] = min(1.0, step / total)
    return merged


class _Reporter:
    """Collects progress from the training thread; writes it to the row at most every 0.2 s."""

    def __init__(self, store: JobStore, job: Job, claim: str) -> None:
        self.store, self.job, self.claim = store, job, claim
        self.loop = asyncio.get_running_loop()
        self.progress: dict[str, Any] = dict(job.progress)
        self.lines: list[str] = []
        self.changed = asyncio.Event()
        self.lost = False

    def __call__(self, p: TrainProgress) -> None:  # the training thread
        self.loop.call_soon_threadsafe(self._take, p)

    def _take(self, p: TrainProgress) -> None:
        self.progress = progress_fields(p, self.progress)
        if p.message:
            self.lines.append(p.message)
        self.changed.set()

    def say(self, line: str, **progress: Any) -> None:
        self.progress.update(progress)
        self.lines.append(line)
        self.changed.set()

    async def flush(self) -> None:
        lines, self.lines = self.lines, []
        self.changed.clear()
        if not await self.store.report(self.job.id, self.claim, self.progress, lines):
            self.lost = True

    async def run(self) -> None:
        while True:
            await self.changed.wait()
            await self.flush()
            await asyncio.sleep(REPORT_INTERVAL_S)


async def run_job(store: JobStore, registry: ModelRegistry, job_id: str, claim: str) -> bool:
    """Run a claimed job to its end; False when it was not ours to run (or stopped being)."""
    job = await store.get(job_id)
    if job is None or job.claim != claim or job.done:
        return False
    reporter = _Reporter(store, job, claim)
    writer = asyncio.create_task(reporter.run())
    try:
        metrics = await _train_and_gate(job, claim, store, registry, reporter)
        await reporter.flush()
        return await store.succeed(job.id, claim, metrics)
    except Lost:
        return False
    except Exception as exc:  # the job's failure is the row's business, with the reason
        log.exception("training job %s failed", job.id)
        reporter.say(traceback.format_exc(limit=3).rstrip())
        with contextlib.suppress(Exception):
            await reporter.flush()
        return await store.fail(job.id, claim, f"{type(exc).__name__}: {exc}")
    finally:
        writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await writer


async def _train_and_gate(
    job: Job, claim: str, store: JobStore, registry: ModelRegistry, reporter: _Reporter
) -> dict[str, Any]:
    model = registry_from_environment().get(job.model)
    plan = plan_training(model, data_dir() / "models", data=job.dataset, overrides=job.params)
    if job.with_corrections:
        plan = await _with_corrections(model, plan, job, claim, store, reporter)
    split = _split(model, plan.data, job)
    reporter.say(
        f"training {plan.name} {plan.version} with {model.source}"
        + (
            f" on {split.train} (held out: {split.held_out})"
            if split
            else f" on {plan.data} (no held-out split: the gate compares on this data)"
        ),
        phase="training",
    )
    trained = await asyncio.to_thread(run_plan, plan, reporter, data=split.train if split else None)
    if reporter.lost or not await store.heartbeat(job.id, claim):
        raise Lost  # cancelled while it trained: nothing registered
    path = str(trained.path.resolve())
    await registry.register(trained.name, trained.version, path, trained.metrics, trained.data_hash)
    await store.set_candidate(job.id, claim, trained.name, trained.version)
    reporter.say(f"registered {trained.name} {trained.version} as a candidate", phase="evaluating")
    await reporter.flush()
    gate = await _evaluate(model, trained, split.held_out if split else plan.data, plan, registry)
    if gate is not None:
        reporter.say(
            f"{gate['metric']} on {gate['data']}: candidate {gate['candidate']}, "
            f"production {gate['production_version']} {gate['production']}",
            phase="done",
        )
    return headline(trained.metrics)


async def _with_corrections(
    model: RegisteredModel,
    plan: TrainPlan,
    job: Job,
    claim: str,
    store: JobStore,
    reporter: _Reporter,
) -> TrainPlan:
    """The plan again, on a copy of its data with the recorded corrections merged in."""
    why_not = accepts_corrections(plan.data)
    if why_not is not None:
        raise ValueError(why_not)
    assert plan.data is not None
    folder = data_dir() / "training" / job.id
    merged, added, replaced = await merge_into(store.engine, job.model, plan.data, folder)
    await store.set_corrections_used(job.id, claim, added)
    reporter.say(
        f"added {added} correction(s) of {job.model} to {plan.data} "
        f"({replaced} shipped example(s) of the same sentences left out): {merged}"
    )
    return plan_training(model, data_dir() / "models", data=str(merged), overrides=job.params)


def _split(model: RegisteredModel, data: Path | None, job: Job) -> DataSplit | None:
    if model.trainer.split is None or data is None or job.held_out <= 0:
        return None
    folder = data_dir() / "training" / job.id
    folder.mkdir(parents=True, exist_ok=True)
    return model.trainer.split(data, folder, job.held_out, SPLIT_SEED)


async def _evaluate(
    model: RegisteredModel,
    trained: TrainedVersion,
    data: Path | None,
    plan: Any,
    registry: ModelRegistry,
) -> dict[str, Any] | None:
    """Both versions on the same data; the comparison is kept with the candidate."""
    evaluate = model.trainer.evaluate
    metric = model.trainer.primary_metric
    if evaluate is None or metric is None or data is None:
        return None
    key = str(data.resolve())
    ours: Evaluation = await asyncio.to_thread(evaluate, trained.path, data, plan.params)
    await registry.record_evaluation(trained.name, trained.version, key, headline(ours.metrics))
    production: ModelVersion | None = await registry.production(trained.name)
    theirs_value = None
    if production is not None and Path(production.path).exists():
        theirs = await asyncio.to_thread(evaluate, Path(production.path), data, plan.params)
        theirs_metrics = headline(theirs.metrics)
        await registry.record_evaluation(trained.name, production.version, key, theirs_metrics)
        theirs_value = theirs_metrics.get(metric)
    gate = gate_record(metric, key, headline(ours.metrics).get(metric), production, theirs_value)
    await registry.record_gate(trained.name, trained.version, gate)
    return gate
