"""The reply generator as a trainer plugin: `chorus train generation` / `chorus test generation`.

Its data is a domain file whose ``responses:`` section holds the templates (``--data``,
or ``--domain`` as the command has always called it), plus optional paraphrases.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from models.trainers import (
    Evaluation,
    Option,
    Trainer,
    TrainJob,
    TrainProgress,
    TrainResult,
    config_from,
)


def _templates(data: Path | None, params: Mapping[str, Any]) -> Any:
    if data is None:
        raise FileNotFoundError("the generator needs a domain file: pass --data (or --domain)")
    from models.generation.data import load_templates

    return load_templates(data, params.get("paraphrases"))


def train(job: TrainJob) -> TrainResult:
    """Train a small GPT-2 on the delexicalised response templates, evaluate it, save it."""
    threads = job.params.get("threads")
    if threads:
        os.environ["CHORUS_TORCH_THREADS"] = str(threads)
    from models.generation.corpus import build_corpus
    from models.generation.training import TrainingConfig, train_generator

    templates = _templates(job.data, job.params)
    config = config_from(
        TrainingConfig,
        job.params,
        time_budget_s="time_budget",
        learning_rate="lr",
        n_layer="layers",
        n_embd="width",
        n_head="heads",
    )
    data_name = job.data.name if job.data else "?"
    job.progress(
        TrainProgress(
            message=f"training {job.name} {job.version} on {data_name} "
            f"({len(templates)} actions, {len(build_corpus(templates))} samples), "
            f"seed {config.seed}, at most {config.max_steps} steps / "
            f"{config.time_budget_s:.0f} s"
        )
    )

    def on_step(step: int, total: int, loss: float) -> None:
        job.progress(TrainProgress(step=step, total=total, loss=loss, label="step"))

    result = train_generator(
        templates, job.output, name=job.name, version=job.version, config=config, progress=on_step
    )
    return TrainResult(result.metrics, result.data_hash)


def evaluate(model_dir: Path, data: Path | None, params: Mapping[str, Any]) -> Evaluation:
    """Guard pass rate, template match rate and variant coverage on every prompt of the data."""
    if params.get("threads"):
        os.environ["CHORUS_TORCH_THREADS"] = str(params["threads"])
    from models.generation.card import GeneratorCard
    from models.generation.evaluation import evaluate_generator
    from models.generation.generator import CausalGenerator

    card = GeneratorCard.load(model_dir)
    if card is None:
        raise FileNotFoundError(f"{model_dir}: not a trained generator (no model card)")
    templates = _templates(data, params)
    generator = CausalGenerator.load(model_dir, threads=params.get("threads"))
    metrics = evaluate_generator(generator, templates)
    return Evaluation(metrics, str(data), card.name, card.version)


TRAINER = Trainer(
    name="generation",
    train=train,
    evaluate=evaluate,
    primary_metric="guard_pass_rate",
    description="A tiny GPT-2 trained on the delexicalised response templates.",
    data_help="domain file whose responses: section is the training data",
    data_aliases=("--domain",),
    options=(
        Option("paraphrases", Path, None, "extra response variants (same format)", evaluate=True),
        Option("seed", int, 0, "random seed; same seed and steps, same model"),
        Option("max_steps", int, 600, "optimiser steps at most"),
        Option("time_budget", float, 120.0, "wall-clock seconds at most (stops early)"),
        Option("batch_size", int, 32, "samples per step"),
        Option("lr", float, 3e-3, "AdamW learning rate"),
        Option("layers", int, 2, "transformer layers"),
        Option("width", int, 128, "embedding width (n_embd)"),
        Option("heads", int, 4, "attention heads"),
        Option(
            "threads",
            int,
            None,
            "torch threads (default CHORUS_TORCH_THREADS, else 1)",
            evaluate=True,
        ),
    ),
)
