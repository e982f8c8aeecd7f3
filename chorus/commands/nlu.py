"""`chorus train nlu` and `chorus test nlu`."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

# `register_version` is also the name of a command option: the function goes by `_register`
from chorus.commands.registration import PromoteOption, RegisterOption
from chorus.commands.registration import register_version as _register
from models.resources import resolve

if TYPE_CHECKING:
    from models.nlu.metrics import NLUReport
    from models.nlu.training import Progress as TrainProgress

# The example application's training data (package data of apps.concierge).
DEFAULT_DATA = resolve("apps.concierge:data/nlu.yml", must_exist=False)

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def register(train: typer.Typer, test: typer.Typer) -> None:
    train.command("nlu")(train_nlu)
    test.command("nlu")(test_nlu)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _metrics_text(m: dict[str, float]) -> str:
    if "intent_accuracy" not in m:
        return ""
    return (
        f"valid intent {m['intent_accuracy']:.4f} · slot F1 {m['slot_f1']:.4f}"
        f" · sentence {m['sentence_accuracy']:.4f}"
    )


def train_nlu(
    data: Annotated[
        Path, typer.Option(help="YAML training file or SNIPS folder (train/, valid/)")
    ] = DEFAULT_DATA,
    out: Annotated[
        Path | None,
        typer.Option(help="artefact directory (default <data dir>/models/<name>/<version>)"),
    ] = None,
    epochs: Annotated[
        int | None, typer.Option(help="passes over the data (default: by data size)")
    ] = None,
    seed: Annotated[int, typer.Option(help="random seed; same seed, same model")] = 0,
    name: Annotated[
        str | None, typer.Option(help="registry name (default nlu, nlu-snips for SNIPS)")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="utterances per step")] = 32,
    lr: Annotated[float, typer.Option(help="encoder learning rate")] = 2e-4,
    holdout: Annotated[
        float, typer.Option(help="fraction held out for validation (YAML data)")
    ] = 0.15,
    threads: Annotated[
        int | None,
        typer.Option(help="torch threads (default CHORUS_TORCH_THREADS, else all cores)"),
    ] = None,
    register_version: RegisterOption = True,
    promote: PromoteOption = None,
) -> None:
    """Fine-tune the joint intent + entity model on MiniLM, evaluate it and register it."""
    n_threads = threads or int(os.environ.get("CHORUS_TORCH_THREADS") or os.cpu_count() or 1)
    os.environ["CHORUS_TORCH_THREADS"] = str(n_threads)

    from models.db import data_dir
    from models.nlu.datasets import load_training_set
    from models.nlu.training import TrainConfig, new_version, train_nlu

    try:
        training_set = load_training_set(data)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    model_name = name or ("nlu-snips" if training_set.kind == "snips" else "nlu")
    version = new_version()
    target = out or data_dir() / "models" / model_name / version
    cfg = TrainConfig(epochs=epochs, seed=seed, batch_size=batch_size, lr=lr)
    err.print(
        f"training [bold]{model_name}[/bold] {version} on {data} "
        f"({len(training_set.data.examples)} examples, {training_set.kind}), "
        f"{n_threads} torch thread(s), seed {seed}"
    )

    started, cpu_started = time.perf_counter(), _cpu_seconds()
    with Progress(
        TextColumn("[bold]epoch {task.fields[epoch]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[metrics]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("train", total=None, epoch="-", loss="-", metrics="")

        def on_progress(p: TrainProgress) -> None:
            fields: dict[str, Any] = {"epoch": f"{p.epoch}/{p.epochs}"}
            if p.kind == "start":
                bar.update(task, total=p.total_steps, **fields)
            elif p.kind == "step":
                bar.update(task, completed=p.step, loss=f"{p.loss:.4f}", **fields)
            elif p.kind == "epoch":
                bar.update(task, metrics=_metrics_text(p.metrics), **fields)
                bar.console.print(
                    f"epoch {p.epoch}/{p.epochs}  loss {p.loss:.4f}  {_metrics_text(p.metrics)}"
                )

        result = train_nlu(
            training_set.data,
            valid=training_set.valid,
            holdout=holdout,
            config=cfg,
            name=model_name,
            version=version,
            on_progress=on_progress,
        )
    wall = time.perf_counter() - started
    metrics: dict[str, Any] = dict(result.report.summary()) if result.report else {}
    metrics.update(
        train_seconds=round(wall, 1),
        train_cpu_seconds=round(_cpu_seconds() - cpu_started, 1),
        peak_rss_mb=round(_peak_rss_mb(), 1),
        n_train=result.n_train,
        n_valid=result.n_valid,
        threads=n_threads,
        seed=seed,
    )
    result.model.save(target, metrics={**metrics, **_detail(result.report)})
    if result.report:
        _print_report(result.report, title=f"{model_name} {version} on the validation split")
    console.print(
        f"saved {target}  ({wall:.1f} s wall, {metrics['train_cpu_seconds']:.0f} s CPU, "
        f"peak RSS {metrics['peak_rss_mb']:.0f} MB)"
    )
    if register_version:
        stage = _register(
            model_name, version, target, metrics, training_set.data.content_hash(), promote
        )
        console.print(f"registered {model_name} {version} as {stage}")


def _detail(report: NLUReport | None) -> dict[str, Any]:
    return {"report": report.as_dict()} if report else {}


def test_nlu(
    model: Annotated[Path, typer.Option(help="trained model directory")],
    data: Annotated[
        Path, typer.Option(help="YAML file, SNIPS split folder, or SNIPS dataset (test/ or valid/)")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    threads: Annotated[int | None, typer.Option(help="torch threads")] = None,
) -> None:
    """Intent accuracy, slot F1 (conlleval spans), sentence accuracy, per-intent P/R/F1."""
    if threads:
        os.environ["CHORUS_TORCH_THREADS"] = str(threads)
    from models.nlu.datasets import load_eval_examples
    from models.nlu.evaluation import evaluate_model
    from models.nlu.model import NLUModel

    try:
        nlu = NLUModel.load(model)
        examples, source = load_eval_examples(data)
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    started = time.perf_counter()
    report = evaluate_model(nlu, examples)
    seconds = time.perf_counter() - started
    if as_json:
        body = report.as_dict()
        body.update(model={"name": nlu.config.name, "version": nlu.config.version}, data=source)
        body["seconds"] = round(seconds, 2)
        sys.stdout.write(json.dumps(body) + "\n")
        return
    _print_report(report, title=f"{nlu.config.name} {nlu.config.version} on {source}")
    console.print(f"{report.n} utterances in {seconds:.1f} s")


def _print_report(report: NLUReport, title: str) -> None:
    head = Table(title=title, show_header=False)
    for label, value in (
        ("intent accuracy", report.intent_accuracy),
        ("slot precision", report.slot_precision),
        ("slot recall", report.slot_recall),
        ("slot F1", report.slot_f1),
        ("sentence accuracy", report.sentence_accuracy),
    ):
        head.add_row(label, f"{value:.4f}")
    head.add_row("utterances", str(report.n))
    console.print(head)
    per = Table("intent", "precision", "recall", "F1", "support", title="per intent")
    for intent, m in report.per_intent.items():
        per.add_row(intent, f"{m.precision:.3f}", f"{m.recall:.3f}", f"{m.f1:.3f}", str(m.support))
    console.print(per)
    if report.confusions:
        conf = Table("gold", "predicted", "count", title="most confused intents")
        for gold, pred, count in report.confusions[:10]:
            conf.add_row(gold, pred, str(count))
        console.print(conf)
    else:
        console.print("no intent confusions")
