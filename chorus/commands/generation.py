"""`chorus train generation`: train the tiny GPT-2 reply generator and register the version."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

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
from models.generation.data import MODEL_NAME

# The example application's data (package data of apps.concierge); any path works too.
DEFAULT_DOMAIN = "apps.concierge:data/domain.yml"
DEFAULT_PARAPHRASES = "apps.concierge:data/paraphrases.yml"

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def register(train: typer.Typer) -> None:
    train.command("generation")(train_generation)


def train_generation(
    domain: Annotated[
        str,
        typer.Option(
            help="domain file whose responses: section is the training data "
            "(a path or pkg.module:relative/path)"
        ),
    ] = DEFAULT_DOMAIN,
    paraphrases: Annotated[
        str | None, typer.Option(help="extra response variants (same format; '' for none)")
    ] = DEFAULT_PARAPHRASES,
    out: Annotated[
        Path | None,
        typer.Option(help="artefact directory (default <data dir>/models/<name>/<version>)"),
    ] = None,
    name: Annotated[str, typer.Option(help="registry name")] = MODEL_NAME,
    version: Annotated[str | None, typer.Option(help="version (default: UTC timestamp)")] = None,
    seed: Annotated[int, typer.Option(help="random seed; same seed and steps, same model")] = 0,
    max_steps: Annotated[int, typer.Option(help="optimiser steps at most")] = 600,
    time_budget: Annotated[
        float, typer.Option(help="wall-clock seconds at most (stops early when reached)")
    ] = 120.0,
    batch_size: Annotated[int, typer.Option(help="samples per step")] = 32,
    lr: Annotated[float, typer.Option(help="AdamW learning rate")] = 3e-3,
    layers: Annotated[int, typer.Option(help="transformer layers")] = 2,
    width: Annotated[int, typer.Option(help="embedding width (n_embd)")] = 128,
    heads: Annotated[int, typer.Option(help="attention heads")] = 4,
    threads: Annotated[
        int | None, typer.Option(help="torch threads (default CHORUS_TORCH_THREADS, else 1)")
    ] = None,
    register_version: RegisterOption = True,
    promote: PromoteOption = None,
) -> None:
    """Train a small GPT-2 on the delexicalised response templates, evaluate it, register it."""
    if threads:
        os.environ["CHORUS_TORCH_THREADS"] = str(threads)
    from models.db import data_dir
    from models.generation.corpus import build_corpus
    from models.generation.data import load_templates
    from models.generation.templates import TemplateError
    from models.generation.training import TrainingConfig, TrainingError, train_generator
    from models.resources import resolve

    try:
        domain_file = resolve(domain)
        extra = resolve(paraphrases, must_exist=False) if paraphrases else None  # absent: none
        templates = load_templates(domain_file, extra)
    except (OSError, TemplateError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    version = version or datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = out or data_dir() / "models" / name / version
    config = TrainingConfig(
        seed=seed,
        max_steps=max_steps,
        time_budget_s=time_budget,
        batch_size=batch_size,
        learning_rate=lr,
        n_layer=layers,
        n_embd=width,
        n_head=heads,
        threads=threads,
    )
    err.print(
        f"training [bold]{name}[/bold] {version} on {domain_file.name} "
        f"({len(templates)} actions, {len(build_corpus(templates))} samples), seed {seed}, "
        f"at most {max_steps} steps / {time_budget:.0f} s"
    )
    with Progress(
        TextColumn("[bold]step"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("train", total=max_steps, loss="-")

        def on_step(step: int, total: int, loss: float) -> None:
            bar.update(task, completed=step, total=total, loss=f"{loss:.4f}")

        try:
            result = train_generator(
                templates, target, name=name, version=version, config=config, progress=on_step
            )
        except TrainingError as exc:
            err.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from exc
    _print_metrics(result.metrics, f"{name} {version}")
    console.print(f"saved {target}")
    if register_version:
        stage = _register(name, version, target, result.metrics, result.data_hash, promote)
        console.print(f"registered {name} {version} as {stage}")


def _print_metrics(metrics: dict[str, Any], title: str) -> None:
    table = Table(title=title, show_header=False)
    for key, value in metrics.items():
        table.add_row(key.replace("_", " "), str(value))
    console.print(table)
