"""First-run set-up for `chorus dev`: migrate the database and train missing default models.

Trained artefacts are never committed; the first `chorus dev` produces them from
the shipped data with our own training commands and promotes them to production.
"""

from __future__ import annotations

import asyncio
import os
import subprocess

from rich.console import Console

import migrations
from chorus.config import ChorusConfig
from chorus.supervisor import python_argv
from models.db import create_engine
from models.registry import ModelRegistry
from models.resources import resolve

# model name in the registry -> the `chorus train` command that produces it (the example
# application's data, shipped as package data of apps.concierge)
DEFAULT_MODELS: dict[str, list[str]] = {
    "nlu": ["train", "nlu", "--data", str(resolve("apps.concierge:data/nlu.yml"))],
    "generation": ["train", "generation"],
}


def migrate(config: ChorusConfig) -> None:
    migrations.upgrade(config.resolved_database_url())


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


def ensure_default_models(config: ChorusConfig, console: Console) -> None:
    """Train (once) and promote every default model that has no production version."""
    url = config.resolved_database_url()
    env = {**config.process_env()}

    for name, command in DEFAULT_MODELS.items():
        has_production, latest = asyncio.run(_production_or_latest(url, name))
        if has_production:
            continue
        if latest is None:
            console.print(f"[bold]training the default {name} model (first run only)…[/bold]")
            subprocess.run(python_argv(*command), check=True, env={**os.environ, **env})
            has_production, latest = asyncio.run(_production_or_latest(url, name))
            if has_production:  # the training command promoted it itself
                continue
        if latest is None:
            raise RuntimeError(f"`chorus {' '.join(command)}` registered no {name} model")
        asyncio.run(_promote(url, name, latest))
        console.print(f"promoted {name} {latest} to production")
