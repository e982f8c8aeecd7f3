"""First-run set-up for `chorus dev`: migrate the database and train the models it lacks.

The models are those the started subgraphs declare under `models:` in chorus.yaml, each
trained by its registered trainer plugin (`chorus train NAME`). Trained artefacts are
never committed; the first `chorus dev` produces them and promotes them to production.
"""

from __future__ import annotations

import asyncio
import os
import subprocess

from rich.console import Console

from chorus import migrating
from chorus.config import ChorusConfig
from chorus.supervisor import python_argv
from chorus.trainers import model_specs
from models.db import create_engine
from models.registry import ModelRegistry


def migrate(config: ChorusConfig) -> None:
    migrating.migrate(config)


async def _production_or_latest(url: str, name: str) -> tuple[bool, str | None]:
    engine = create_engine(url)
    try:
        registry = ModelRegistry(engine)
        if await registry.production(name) is not None:
            return True, None
        latest = await registry.latest(name)
        return False, latest.version if latest else None
    finally:
        await engine.dispose()


async def _promote(url: str, name: str, version: str) -> None:
    engine = create_engine(url)
    try:
        await ModelRegistry(engine).promote(name, version)
    finally:
        await engine.dispose()


def train_command(config: ChorusConfig, name: str) -> list[str]:
    """`chorus train [--config FILE] NAME`: the same config file as this stack."""
    argv = ["train"]
    if config.path is not None:
        argv += ["--config", str(config.path.resolve())]
    return [*argv, name]


def ensure_models(config: ChorusConfig, console: Console) -> list[str]:
    """Train (once) and promote every configured model without a production version.

    Returns the names it trained.
    """
    url = config.resolved_database_url()
    env = {**os.environ, **config.process_env()}
    trained: list[str] = []
    for spec in model_specs(config):
        name = spec.name
        has_production, latest = asyncio.run(_production_or_latest(url, name))
        if has_production:
            continue
        command = train_command(config, name)
        if latest is None:
            console.print(
                f"[bold]training the {name} model of {spec.owner} (first run only)…[/bold]"
            )
            subprocess.run(python_argv(*command), check=True, env=env)
            trained.append(name)
            has_production, latest = asyncio.run(_production_or_latest(url, name))
            if has_production:  # the training command promoted it itself
                continue
        if latest is None:
            raise RuntimeError(f"`chorus {' '.join(command)}` registered no {name} model")
        asyncio.run(_promote(url, name, latest))
        console.print(f"promoted {name} {latest} to production")
    return trained
