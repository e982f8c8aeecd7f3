"""`chorus train` / `chorus test`: one sub-command per registered model, found when asked.

The sub-commands are not a fixed list: the group reads chorus.yaml (`--config`, else
CHORUS_CONFIG, else ./chorus.yaml) and the installed `chorus.trainers` entry points when
a model is named or the help is shown, and builds that model's command from its
trainer's declared options.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from chorus.config import ChorusConfig, ConfigError, load_config
from chorus.trainers import trainer_registry
from models.trainer_registry import RegisteredModel, TrainerRegistry, UnknownModel
from models.trainers import Option, TrainerError

err = Console(stderr=True, highlight=False)

CommandFn = Callable[..., None]


def option_parameter(option: Option, prefix: str = "opt_") -> inspect.Parameter:
    """A trainer option as a typed keyword parameter typer turns into `--option`."""
    flag = f"{option.flag}/--no-{option.flag[2:]}" if option.type is bool else option.flag
    shown = f" (default {option.default})" if option.default is not None else ""
    value_type: Any = option.type | None
    # built at run time from the trainer's declaration: a type checker cannot follow it
    annotation = Annotated[value_type, typer.Option(flag, help=f"{option.help}{shown}")]
    return inspect.Parameter(
        prefix + option.name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
    )


def parse_params(pairs: list[str] | None) -> dict[str, str]:
    """`--param key=value` entries as a mapping (later ones win)."""
    params: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise TrainerError(f"--param expects key=value, got {pair!r}")
        params[key.strip()] = value
    return params


def command_for(name: str, help_text: str, params: list[inspect.Parameter], fn: CommandFn) -> Any:
    """A click command named `name` whose options are `params` (built by typer)."""

    def command(**kwargs: Any) -> None:
        fn(**kwargs)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__doc__ = help_text
    holder = typer.Typer(add_completion=False)
    holder.command(name)(command)
    built = typer.main.get_command(holder)
    built.name = name
    return built


def _failing(name: str, message: str) -> Any:
    """Stands in for a model whose trainer cannot be loaded: says why when run."""

    def fail() -> None:
        err.print(f"[red]{escape(message)}[/red]")
        raise typer.Exit(2)

    return command_for(name, f"(cannot load: {message})", [], lambda: fail())


class ModelGroup(TyperGroup):
    """A group whose commands are the stack's registered models (subclasses say what each does)."""

    @staticmethod
    def build(
        model: RegisteredModel, config: ChorusConfig
    ) -> tuple[list[inspect.Parameter], CommandFn]:
        """One model's command: its parameters and what it does."""
        raise NotImplementedError

    def _config(self, ctx: Any) -> ChorusConfig:
        path = ctx.params.get("config") if ctx is not None else None
        try:
            return load_config(Path(path) if path else None)
        except ConfigError as exc:
            err.print(f"[red]config error:[/red] {escape(str(exc))}")
            raise typer.Exit(2) from exc

    def _registry(self, ctx: Any) -> tuple[ChorusConfig, TrainerRegistry]:
        config = self._config(ctx)
        try:
            return config, trainer_registry(config)
        except TrainerError as exc:
            err.print(f"[red]{escape(str(exc))}[/red]")
            raise typer.Exit(2) from exc

    def list_commands(self, ctx: Any) -> list[str]:
        _, registry = self._registry(ctx)
        return registry.names()

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        config, registry = self._registry(ctx)
        try:
            model = registry.get(cmd_name)
        except UnknownModel as exc:
            if getattr(ctx, "resilient_parsing", False):
                return None
            ctx.fail(str(exc))
        except TrainerError as exc:
            return _failing(cmd_name, str(exc))
        params, fn = self.build(model, config)
        return command_for(cmd_name, model.trainer.description, params, fn)
