"""The NLU model as a trainer plugin: `chorus train nlu` and `chorus test nlu` call this.

Data is a YAML training file (validated on a holdout) or a SNIPS folder (train/ +
valid/); a SNIPS dataset is registered as ``nlu-snips`` unless a name is given.
Heavy imports (torch, the encoder) happen inside the functions, so listing trainers
stays cheap.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from models.trainers import (
    Evaluation,
    Option,
    Trainer,
    TrainJob,
    TrainProgress,
    TrainResult,
    config_from,
)

if TYPE_CHECKING:
    from models.nlu.training import Progress


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _metrics_text(m: Mapping[str, float]) -> str:
    if "intent_accuracy" not in m:
        return ""
    return (
        f"valid intent {m['intent_accuracy']:.4f} · slot F1 {m['slot_f1']:.4f}"
        f" · sentence {m['sentence_accuracy']:.4f}"
    )


def _threads(params: Mapping[str, Any]) -> int:
    """Torch threads: the parameter, else CHORUS_TORCH_THREADS, else every core.

    Set in the environment before torch is imported, which is when it takes effect.
    """
    n = params.get("threads") or int(os.environ.get("CHORUS_TORCH_THREADS") or os.cpu_count() or 1)
    os.environ["CHORUS_TORCH_THREADS"] = str(n)
    return int(n)


def registry_name(model_name: str, data: Path | None) -> str:
    """A SNIPS dataset gets its own name (``nlu-snips``), so it never replaces the served model."""
    from models.nlu.snips import is_snips_dataset, is_snips_split

    if data is not None and data.is_dir() and (is_snips_dataset(data) or is_snips_split(data)):
        return f"{model_name}-snips"
    return model_name


def train(job: TrainJob) -> TrainResult:
    """Fine-tune the joint intent + entity model on MiniLM, evaluate it, save it."""
    if job.data is None:
        raise FileNotFoundError("the NLU model needs training data: pass --data")
    n_threads = _threads(job.params)
    from models.nlu.datasets import load_training_set
    from models.nlu.training import TrainConfig, train_nlu

    training_set = load_training_set(job.data)
    config = config_from(TrainConfig, job.params)  # epochs, seed, batch_size, lr
    seed = config.seed
    job.progress(
        TrainProgress(
            message=f"training {job.name} {job.version} on {job.data} "
            f"({len(training_set.data.examples)} examples, {training_set.kind}), "
            f"{n_threads} torch thread(s), seed {seed}"
        )
    )

    def on_progress(p: Progress) -> None:
        label = f"epoch {p.epoch}/{p.epochs}"
        if p.kind == "start":
            job.progress(TrainProgress(step=0, total=p.total_steps, label=label, epoch=p.epoch))
        elif p.kind == "step":
            job.progress(
                TrainProgress(
                    step=p.step, total=p.total_steps, loss=p.loss, label=label, epoch=p.epoch
                )
            )
        elif p.kind == "epoch":
            job.progress(
                TrainProgress(
                    label=label,
                    message=f"{label}  loss {p.loss:.4f}  {_metrics_text(p.metrics)}",
                    epoch=p.epoch,
                    metrics=dict(p.metrics) or None,  # validation metrics, streamed by the service
                )
            )

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = train_nlu(
        training_set.data,
        valid=training_set.valid,
        holdout=job.params["holdout"],
        config=config,
        name=job.name,
        version=job.version,
        on_progress=on_progress,
    )
    metrics: dict[str, Any] = dict(result.report.summary()) if result.report else {}
    metrics.update(
        train_seconds=round(time.perf_counter() - started, 1),
        train_cpu_seconds=round(_cpu_seconds() - cpu_started, 1),
        peak_rss_mb=round(_peak_rss_mb(), 1),
        n_train=result.n_train,
        n_valid=result.n_valid,
        threads=n_threads,
        seed=seed,
    )
    detail = {"report": result.report.as_dict()} if result.report else {}
    result.model.save(job.output, metrics={**metrics, **detail})
    return TrainResult(metrics, training_set.data.content_hash())


def evaluate(model_dir: Path, data: Path | None, params: Mapping[str, Any]) -> Evaluation:
    """Intent accuracy, slot F1 (conlleval spans), sentence accuracy, per-intent P/R/F1."""
    if data is None:
        raise FileNotFoundError("the NLU evaluation needs data: pass --data")
    if params.get("threads"):
        _threads(params)
    from models.nlu.datasets import load_eval_examples
    from models.nlu.evaluation import evaluate_model
    from models.nlu.model import NLUModel

    nlu = NLUModel.load(model_dir)
    examples, source = load_eval_examples(data)
    report = evaluate_model(nlu, examples)
    return Evaluation(report.as_dict(), source, nlu.config.name, nlu.config.version)


TRAINER = Trainer(
    name="nlu",
    train=train,
    evaluate=evaluate,
    primary_metric="intent_accuracy",
    description="Joint intent + entity model fine-tuned on the packaged MiniLM encoder.",
    data_help="YAML training file or SNIPS folder (train/, valid/)",
    name_for=registry_name,
    options=(
        Option("epochs", int, None, "passes over the data (default: by data size)"),
        Option("seed", int, 0, "random seed; same seed, same model"),
        Option("batch_size", int, 32, "utterances per step"),
        Option("lr", float, 2e-4, "encoder learning rate"),
        Option("holdout", float, 0.15, "fraction held out for validation (YAML data)"),
        Option(
            "threads",
            int,
            None,
            "torch threads (default CHORUS_TORCH_THREADS, else all cores)",
            evaluate=True,
        ),
    ),
)
