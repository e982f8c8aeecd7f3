"""Where a served model's artefact comes from: an explicit directory, or the model registry.

The registry (`models.registry`) says which version of a model is in production
and where its files are; a directory given in code or in `CHORUS_<NAME>_MODEL_PATH`
bypasses it (tests, local experiments). Every failure here is a sentence a person
can act on, because it ends up in the subgraph's `/ready` body.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import create_engine
from models.registry import ModelRegistry
from subgraphs.kit.env_seconds import seconds_from_env
from subgraphs.kit.types import ModelRef


class ModelUnavailable(RuntimeError):
    """No artefact could be found or loaded for the model."""


class UnknownModelVersion(LookupError):
    """A version was asked for by name and the registry does not have it."""


@dataclass(frozen=True)
class Artifact:
    """What a model's `load` function gets: the files of one version, and which version."""

    path: Path
    model: ModelRef
    from_registry: bool
    """False when served from an explicit directory; its version is then the directory name."""


def path_variable(name: str) -> str:
    """The environment variable naming a directory to serve instead of the registry's version."""
    return f"CHORUS_{re.sub(r'[^A-Za-z0-9]+', '_', name).upper()}_MODEL_PATH"


def explicit_path(name: str, path: Path | str | None) -> Path | None:
    """The directory given in code, else the one in `CHORUS_<NAME>_MODEL_PATH`, else None."""
    if path is not None:
        return Path(path)
    value = os.environ.get(path_variable(name))
    return Path(value) if value else None


POLL_VARIABLE = "CHORUS_MODEL_POLL_S"
DEFAULT_POLL_S = 5.0


def poll_interval(poll_s: float | None) -> float:
    """Seconds between registry checks: the one given, else `CHORUS_MODEL_POLL_S`, else 5
    (0: never poll)."""
    if poll_s is not None:
        return poll_s
    return seconds_from_env(POLL_VARIABLE, DEFAULT_POLL_S)


def from_path(name: str, path: Path) -> Artifact:
    return Artifact(path, ModelRef(name=name, version=path.name), from_registry=False)


class RegistrySource:
    """Reads one model's versions from the registry; one engine for the served model's life."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self._engine: AsyncEngine | None = None

    async def production(self) -> Artifact | None:
        """The production version, or None when the model has none."""
        try:
            found = await ModelRegistry(self._connect()).production(self.name)
        except Exception as exc:
            raise ModelUnavailable(self._unreadable(exc)) from exc
        return self._artifact(found.path, found.version) if found is not None else None

    async def version(self, version: str) -> Artifact:
        try:
            found = await ModelRegistry(self._connect()).get(self.name, version)
        except Exception as exc:
            raise ModelUnavailable(self._unreadable(exc)) from exc
        if found is None:
            raise UnknownModelVersion(f"model {self.name} has no version {version}")
        return self._artifact(found.path, found.version)

    def missing(self) -> str:
        return (
            f"no production version of model {self.name!r} in the registry at {self.url}; "
            f"train one with `chorus train {self.name}` "
            f"(or set {path_variable(self.name)} to a model directory)"
        )

    async def close(self) -> None:
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.dispose()

    def _connect(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_engine(self.url)
        return self._engine

    def _artifact(self, path: str, version: str) -> Artifact:
        return Artifact(Path(path), ModelRef(name=self.name, version=version), from_registry=True)

    def _unreadable(self, exc: Exception) -> str:
        return f"cannot read the model registry at {self.url}: {exc} (run `chorus migrate`?)"
