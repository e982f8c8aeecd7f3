"""`chorus train <model>`: run a registered trainer, save the version, register it.

The version goes to `<data dir>/models/<name>/<version>/` and into the model registry
with its metrics and data hash (the first version of a name becomes production).
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from chorus.commands.metrics_view import print_metrics
from chorus.commands.model_group import CommandFn, ModelGroup, option_parameter, parse_params

# `register_version` is also the name of a command option: the function goes by `_register`
from chorus.commands.registration import PromoteOption, RegisterOption
from chorus.commands.registration import register_version as _register
from chorus.config import ChorusConfig
from models.train_version import plan_training, run_plan
from models.trainer_registry import RegisteredModel
from models.trainers import TrainerError, TrainProgress

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _param(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


class TrainGroup(ModelGroup):
    @staticmethod
    def build(
        model: RegisteredModel, config: ChorusConfig
    ) -> tuple[list[inspect.Parameter], CommandFn]:
        trainer = model.trainer
        data_default = model.data or trainer.default_data
        shown = f" (default {data_default})" if data_default else ""
        params = [
            _param(
                "data",
                Annotated[
                    str | None,
                    typer.Option("--data", *trainer.data_aliases, help=trainer.data_help + shown),
                ],
            ),
            _param(
                "out",
                Annotated[
                    Path | None,
                    typer.Option(
                        help="artefact directory (default <data dir>/models/<name>/<version>)"
                    ),
                ],
            ),
            _param(
                "name",
                Annotated[str | None, typer.Option(help=f"registry name (default {model.name})")],
            ),
            _param(
                "version",
                Annotated[str | None, typer.Option(help="version (default: UTC timestamp)")],
            ),
            _param(
                "param",
                Annotated[
                    list[str] | None,
                    typer.Option("--param", help="a trainer parameter, key=value (repeatable)"),
                ],
            ),
            *(option_parameter(o) for o in trainer.options),
            _param("register_version", RegisterOption, True),
            _param("promote", PromoteOption, None),
        ]

        def run(**kwargs: Any) -> None:
            train_model(model, config, kwargs)

        return params, run


def train_model(model: RegisteredModel, config: ChorusConfig, args: dict[str, Any]) -> None:
    trainer = model.trainer
    models_dir = config.data_dir / "models"  # the environment's CHORUS_DATA_DIR wins, as ever
    try:
        overrides: dict[str, Any] = parse_params(args["param"])
        overrides.update(
            (o.name, args[f"opt_{o.name}"])
            for o in trainer.options
            if args[f"opt_{o.name}"] is not None
        )
        plan = plan_training(
            model,
            models_dir,
            data=args["data"],
            overrides=overrides,
            name=args["name"],
            version=args["version"],
            output=args["out"],
        )
    except (TrainerError, FileNotFoundError) as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    with Progress(
        TextColumn("[bold]{task.fields[label]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("train", total=None, label="", loss="-")

        def on_progress(p: TrainProgress) -> None:
            fields: dict[str, Any] = {"label": p.label} if p.label else {}
            if p.loss is not None:
                fields["loss"] = f"{p.loss:.4f}"
            bar.update(task, completed=p.step, total=p.total, **fields)
            if p.message:
                bar.console.print(escape(p.message))

        try:
            trained = run_plan(plan, on_progress)
        except (TrainerError, OSError, ValueError) as exc:
            err.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(2) from exc
    name, version, target = trained.name, trained.version, trained.path
    print_metrics(console, trained.metrics, f"{name} {version}")
    console.print(f"saved {target}")
    if args["register_version"]:
        stage = _register(
            name,
            version,
            target,
            trained.metrics,
            trained.data_hash,
            args["promote"],
            url=config.resolved_database_url(),
        )
        console.print(f"registered {name} {version} as {stage}")
