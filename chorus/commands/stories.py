"""`chorus test dialogue --stories PATH`: run test stories against the stack's dialogue application.

In-process and through the same code as the subgraphs: the NLU model the nlu
subgraph serves (its production version, or `--nlu-model DIR`) understands each
message, with the nlu subgraph's threshold settings; the dialogue service is
built from the dialogue subgraph's environment in chorus.yaml (its domain and
extensions: custom actions, record readers) on a fresh, migrated SQLite database;
the dialogue clock stands at each story's `clock`.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.main
from rich.console import Console
from rich.markup import escape

from chorus.config import ChorusConfig, SubgraphConfig

COMMAND = "dialogue"
DIALOGUE_APP = "subgraphs.dialogue."
NLU_APP = "subgraphs.nlu."

err = Console(stderr=True, highlight=False)


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[red]{escape(message)}[/red]", soft_wrap=True)
    return typer.Exit(code)


def _subgraph(config: ChorusConfig, app_prefix: str) -> SubgraphConfig | None:
    return next((s for s in config.subgraphs.values() if s.app.startswith(app_prefix)), None)


def _settings(env: dict[str, str], prefix: str) -> dict[str, str]:
    """A subgraph's `CHORUS_<X>_*` environment as its settings' keyword arguments."""
    return {k[len(prefix) :].lower(): v for k, v in env.items() if k.startswith(prefix)}


async def _production_path(config: ChorusConfig, name: str) -> Path:
    from models.db import create_engine
    from models.registry import ModelRegistry

    engine = create_engine(config.resolved_database_url())
    try:
        registry = ModelRegistry(engine)
        found = await registry.production(name) or await registry.latest(name)
    except Exception as exc:  # no database, no table: say where we looked
        raise _fail(f"cannot read the model registry: {exc} (run `chorus migrate`?)") from exc
    finally:
        await engine.dispose()
    if found is None:
        raise _fail(
            f"no version of model {name} is registered; train one with `chorus train {name}` "
            "or pass --nlu-model DIR"
        )
    return Path(found.path)


def _load_nlu(config: ChorusConfig, model_dir: Path | None) -> Any:
    from models.nlu.model import NLUModel
    from subgraphs.nlu.settings import NLUSettings

    nlu = _subgraph(config, NLU_APP)
    settings = NLUSettings(**_settings(nlu.env if nlu else {}, "CHORUS_NLU_"))
    if model_dir is None:
        os.environ.setdefault("CHORUS_DATA_DIR", str(config.data_dir.resolve()))
        model_dir = settings.model_path or asyncio.run(
            _production_path(config, settings.model_name)
        )
    try:
        model = NLUModel.load(model_dir)
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot load the NLU model: {exc}") from exc
    if settings.fallback_threshold is not None:
        model.config.fallback_threshold = settings.fallback_threshold
    if settings.ambiguity_threshold is not None:
        model.config.ambiguity_threshold = settings.ambiguity_threshold
    return model


def _understand(model: Any) -> Any:
    from subgraphs.dialogue.tracker import UnderstandingIn

    async def understand(texts: Sequence[str]) -> list[UnderstandingIn]:
        found = await asyncio.to_thread(model.predict, list(texts))
        return [
            UnderstandingIn.model_validate(
                {
                    "intent": {"name": u.intent.name, "confidence": u.intent.confidence},
                    "entities": [
                        {"type": e.type, "value": e.value, "start": e.start, "end": e.end}
                        for e in u.entities
                    ],
                    "fallback": u.fallback,
                }
            )
            for u in found
        ]

    return understand


async def _run(config: ChorusConfig, stories: Any, model: Any, clock: datetime | None) -> Any:
    import migrations
    from models.db import create_engine
    from subgraphs.dialogue.service import DialogueService
    from subgraphs.dialogue.settings import DialogueSettings
    from subgraphs.dialogue.stories.report import summarize
    from subgraphs.dialogue.stories.runner import StoryClock, StoryRunner

    dialogue = _subgraph(config, DIALOGUE_APP)
    if dialogue is None:
        raise _fail("chorus.yaml has no dialogue subgraph (app: subgraphs.dialogue.app:...)")
    settings = DialogueSettings(**_settings(dialogue.env, "CHORUS_DIALOGUE_"))
    with tempfile.TemporaryDirectory(prefix="chorus-stories-") as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'stories.db'}"
        owners = ["subgraphs.dialogue", *config.migrations]
        await asyncio.to_thread(migrations.upgrade, url, owners=owners)
        engine = create_engine(url)
        story_clock = StoryClock()
        service = DialogueService(settings, engine=engine, clock=story_clock)
        try:
            runner = StoryRunner(
                service,
                _understand(model),
                story_clock,
                default_clock=clock or settings.clock_start,
            )
            return summarize(await runner.run(stories))
        finally:
            await service.stop()
            await engine.dispose()


def run_stories(
    config: ChorusConfig,
    stories_path: Path,
    *,
    nlu_model: Path | None,
    clock: datetime | None,
    as_json: bool,
    min_success: float,
    min_turn_accuracy: float,
) -> None:
    from subgraphs.dialogue.domain import DomainError
    from subgraphs.dialogue.extension import ExtensionError
    from subgraphs.dialogue.settings import DialogueConfigError
    from subgraphs.dialogue.stories.format import StoryError, load_stories
    from subgraphs.dialogue.stories.report import render

    if clock is not None and clock.tzinfo is None:
        raise _fail("--clock needs a UTC offset, e.g. 2026-12-08T12:00:00+01:00")
    try:
        stories = load_stories(stories_path)
    except StoryError as exc:
        raise _fail(str(exc)) from exc
    model = _load_nlu(config, nlu_model)
    try:
        summary = asyncio.run(_run(config, stories, model, clock))
    except (DomainError, ExtensionError, DialogueConfigError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
    else:
        sys.stdout.write("".join(f"{line}\n" for line in render(summary)))
    if (
        summary["conversation_success"] < min_success
        or summary["turn_accuracy"] < min_turn_accuracy
    ):
        raise typer.Exit(1)


def command(config: ChorusConfig) -> Any:
    """The click command `chorus test dialogue` (built by the `chorus test` group)."""
    holder = typer.Typer(add_completion=False)

    @holder.command(COMMAND)
    def run(
        stories: Annotated[
            Path, typer.Option("--stories", help="a story file or a folder of them (*.yml)")
        ],
        nlu_model: Annotated[
            Path | None,
            typer.Option(
                "--nlu-model", help="NLU model directory (default: the production version)"
            ),
        ] = None,
        clock: Annotated[
            datetime | None,
            typer.Option(
                "--clock",
                formats=["%Y-%m-%dT%H:%M:%S%z"],
                help="'now' for stories that name no clock (default CHORUS_DIALOGUE_CLOCK_START)",
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
        min_success: Annotated[
            float, typer.Option(help="exit 1 when conversation success is below this")
        ] = 0.0,
        min_turn_accuracy: Annotated[
            float, typer.Option(help="exit 1 when turn accuracy is below this")
        ] = 0.0,
    ) -> None:
        """Run test stories through the stack's NLU model and dialogue application."""
        run_stories(
            config,
            stories,
            nlu_model=nlu_model,
            clock=clock,
            as_json=as_json,
            min_success=min_success,
            min_turn_accuracy=min_turn_accuracy,
        )

    built = typer.main.get_command(holder)
    built.name = COMMAND
    return built
