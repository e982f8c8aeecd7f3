"""Registering a freshly trained model version: shared by every `chorus train` command."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

#: the `--register/--no-register` and `--promote/--no-promote` options of every train command
RegisterOption = Annotated[
    bool, typer.Option("--register/--no-register", help="record the version in the registry")
]
PromoteOption = Annotated[
    bool | None,
    typer.Option(
        "--promote/--no-promote",
        help="make it the production version (default: only if none is in production)",
    ),
]


def register_version(
    name: str,
    version: str,
    path: Path,
    metrics: dict[str, Any],
    data_hash: str,
    promote: bool | None,
    url: str | None = None,
) -> str:
    """Migrate the database, register the version and return its stage.

    The first version of a name becomes production (so a fresh stack serves it);
    later ones are candidates unless `promote` says otherwise. `url` defaults to the
    environment's database (CHORUS_DATABASE_URL).
    """
    import migrations
    from models.db import create_engine, database_url
    from models.registry import ModelRegistry

    url = url or database_url()
    migrations.upgrade(url)

    async def run() -> str:
        engine = create_engine(url)
        try:
            registry = ModelRegistry(engine)
            make_production = (
                promote if promote is not None else (await registry.production(name) is None)
            )
            stage = "production" if make_production else "candidate"
            await registry.register(
                name, version, str(path.resolve()), metrics, data_hash, stage=stage
            )
            return stage
        finally:
            await engine.dispose()

    return asyncio.run(run())
