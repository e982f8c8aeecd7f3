"""`chorus test <model>`: run a registered model's evaluator and keep its metrics with the version.

Without `--model` it evaluates the production version (or `--version`) from the registry
and records the metrics there (under ``evaluations`` keyed by the data); a directory
given with `--model` is recorded only with `--record`.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from chorus.commands import stories
from chorus.commands.metrics_view import print_metrics
from chorus.commands.model_group import CommandFn, ModelGroup, option_parameter, parse_params
from chorus.config import ChorusConfig
from models.trainer_registry import RegisteredModel
from models.trainers import Evaluation, TrainerError

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _param(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


class EvaluateGroup(ModelGroup):
    """One command per registered model, and `dialogue`, which runs test stories."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        return names if stories.COMMAND in names else [*names, stories.COMMAND]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name == stories.COMMAND:
            return stories.command(self._config(ctx))
        return super().get_command(ctx, cmd_name)

    @staticmethod
    def build(
        model: RegisteredModel, config: ChorusConfig
    ) -> tuple[list[inspect.Parameter], CommandFn]:
        trainer = model.trainer
        params = [
            _param(
                "model_dir",
                Annotated[
                    Path | None,
                    typer.Option(
                        "--model", help="trained model directory (default: the production version)"
                    ),
                ],
            ),
            _param(
                "version",
                Annotated[str | None, typer.Option(help="a registered version to evaluate")],
            ),
            _param(
                "data",
                Annotated[
                    str | None,
                    typer.Option(
                        "--data",
                        *trainer.data_aliases,
                        help="evaluation data (default: the training data)",
                    ),
                ],
            ),
            _param(
                "param",
                Annotated[list[str] | None, typer.Option("--param", help="a parameter, key=value")],
            ),
            *(option_parameter(o) for o in trainer.options if o.evaluate),
            _param(
                "as_json",
                Annotated[bool, typer.Option("--json", help="print one JSON object")],
                False,
            ),
            _param(
                "record",
                Annotated[
                    bool | None,
                    typer.Option(
                        "--record/--no-record",
                        help="store the metrics with the version "
                        "(default: only for registry versions)",
                    ),
                ],
            ),
        ]

        def run(**kwargs: Any) -> None:
            evaluate_model(model, config, kwargs)

        return params, run


async def _registered(url: str, name: str, version: str | None) -> Any:
    from models.db import create_engine
    from models.registry import ModelRegistry

    engine = create_engine(url)
    try:
        registry = ModelRegistry(engine)
        if version is not None:
            return await registry.get(name, version)
        return await registry.production(name) or await registry.latest(name)
    finally:
        await engine.dispose()


async def _record(url: str, name: str, version: str, data: str, metrics: dict[str, Any]) -> None:
    from models.db import create_engine
    from models.registry import ModelRegistry

    engine = create_engine(url)
    try:
        await ModelRegistry(engine).record_evaluation(name, version, data, metrics)
    finally:
        await engine.dispose()


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]{escape(message)}[/red]")
    return typer.Exit(code)


def evaluate_model(model: RegisteredModel, config: ChorusConfig, args: dict[str, Any]) -> None:
    trainer = model.trainer
    if trainer.evaluate is None:
        raise _fail(f"model {model.name} has no evaluator (its trainer declares none)")
    url = config.resolved_database_url()
    try:
        overrides: dict[str, Any] = parse_params(args["param"])
        overrides.update(
            (o.name, args[f"opt_{o.name}"])
            for o in trainer.options
            if o.evaluate and args[f"opt_{o.name}"] is not None
        )
        params = model.params_with(overrides)
        data = model.data_path(args["data"])
    except (TrainerError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from exc
    model_dir: Path | None = args["model_dir"]
    record = args["record"]
    if model_dir is None:
        try:
            found = asyncio.run(_registered(url, model.name, args["version"]))
        except Exception as exc:  # no database, no table: say where we looked
            raise _fail(f"cannot read the model registry: {exc} (run `chorus migrate`?)") from exc
        if found is None:
            which = f"version {args['version']}" if args["version"] else "version"
            raise _fail(
                f"no {which} of model {model.name} is registered; "
                f"train one with `chorus train {model.name}` or pass --model DIR"
            )
        model_dir, record = Path(found.path), record is not False
    started = time.perf_counter()
    try:
        result: Evaluation = trainer.evaluate(model_dir, data, params)
    except (TrainerError, OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    seconds = round(time.perf_counter() - started, 2)
    name = result.model_name or model.name
    version = result.model_version or args["version"]
    if args["as_json"]:
        body = dict(result.metrics)
        body.update(model={"name": name, "version": version}, data=result.data, seconds=seconds)
        sys.stdout.write(json.dumps(body) + "\n")
    else:
        print_metrics(console, result.metrics, f"{name} {version} on {result.data}")
        console.print(f"evaluated in {seconds:.1f} s")
    if record:
        _record_metrics(url, name, version, result, seconds)


def _record_metrics(
    url: str, name: str, version: str | None, result: Evaluation, seconds: float
) -> None:
    if version is None:
        raise _fail("the evaluator did not say which version it evaluated; nothing recorded")
    headline = {k: v for k, v in result.metrics.items() if not isinstance(v, dict | list)}
    headline.update(seconds=seconds, at=datetime.now(UTC).isoformat(timespec="seconds"))
    try:
        asyncio.run(_record(url, name, version, result.data, headline))
    except Exception as exc:
        raise _fail(
            f"evaluated, but cannot record the metrics with {name} {version}: {exc}", 1
        ) from exc
    err.print(f"recorded with {name} {version}")
