"""Which trainer trains which model: configured dotted paths and installed entry points.

A model is known from configuration (``module:ATTR`` of a `Trainer`, with its data and
parameters) or from the ``chorus.trainers`` entry-point group of an installed package
(``anomaly = "fraud.anomaly.trainer:TRAINER"``). Configuration wins over an entry point
of the same name, and may omit the trainer to give an installed one its data.
Entry points are only loaded when their model is asked for.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.resources import resolve
from models.trainers import Trainer, TrainerError

ENTRY_POINT_GROUP = "chorus.trainers"
SPECS_ENV = "CHORUS_MODEL_SPECS"
"""The configured models as JSON, for processes that do not read chorus.yaml themselves
(the training service and its workers): `chorus dev` and `chorus subgraph` set it."""


class UnknownModel(TrainerError):
    """No trainer is registered under that name; the message lists the known ones."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name, self.known = name, known
        listed = ", ".join(known) if known else "none"
        super().__init__(
            f"no trainer is registered for model {name!r}; known models: {listed} "
            "(register one under a subgraph's `models:` in chorus.yaml, or with the "
            f"{ENTRY_POINT_GROUP!r} entry-point group)"
        )


@dataclass(frozen=True)
class ModelSpec:
    """What configuration says about one model."""

    name: str
    trainer: str | None = None  # "package.module:ATTR"; None: the installed entry point
    data: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    owner: str | None = None  # the subgraph serving it
    base_dir: Path | None = None  # relative paths in the configuration start here


@dataclass(frozen=True)
class RegisteredModel:
    """A model name bound to its trainer, configured data and parameters."""

    name: str
    trainer: Trainer
    source: str
    data: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    owner: str | None = None
    base_dir: Path | None = None

    def data_path(self, override: str | Path | None = None) -> Path | None:
        """The data to use: the command line's, else configured, else the trainer's default.

        Relative paths from configuration start at the configuration's folder.
        """
        if override is not None:
            return resolve(str(override))
        spec = self.data if self.data is not None else self.trainer.default_data
        if spec is None:
            return None
        path = resolve(spec, must_exist=False)
        if self.data is not None and self.base_dir is not None and not path.is_absolute():
            path = self.base_dir / path
        if not path.exists():
            resolve(str(path))  # raises ResourceNotFound naming the file
        return path

    def params_with(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Trainer defaults < configured params < `overrides` (the command line), typed."""
        configured = self.trainer.params(self.params, base_dir=self.base_dir)
        return self.trainer.params(configured, overrides or {})


def load_trainer(target: str) -> Trainer:
    """Import ``package.module:ATTR``: a `Trainer`, or a function without arguments making one."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise TrainerError(f"trainer {target!r}: expected package.module:ATTRIBUTE")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TrainerError(f"trainer {target!r}: cannot import {module_name}: {exc}") from exc
    found: Any = module
    for part in attr.split("."):
        try:
            found = getattr(found, part)
        except AttributeError as exc:
            raise TrainerError(f"trainer {target!r}: {module_name} has no {attr}") from exc
    if not isinstance(found, Trainer) and callable(found):
        found = found()
    if not isinstance(found, Trainer):
        raise TrainerError(
            f"trainer {target!r} is a {type(found).__name__}, not a models.trainers.Trainer"
        )
    return found


def installed_trainers() -> dict[str, importlib.metadata.EntryPoint]:
    """The ``chorus.trainers`` entry points of the installed packages, by model name."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


class TrainerRegistry:
    """Model name -> trainer, from configuration first and installed packages second."""

    def __init__(
        self,
        specs: Iterable[ModelSpec] = (),
        entry_points: Mapping[str, importlib.metadata.EntryPoint] | None = None,
    ) -> None:
        self.specs: dict[str, ModelSpec] = {}
        for spec in specs:
            if spec.name in self.specs:
                first = self.specs[spec.name].owner
                raise TrainerError(
                    f"model {spec.name!r} is configured twice (subgraphs {first} and {spec.owner})"
                )
            self.specs[spec.name] = spec
        self.entry_points = dict(installed_trainers() if entry_points is None else entry_points)

    def names(self) -> list[str]:
        return sorted(self.specs.keys() | self.entry_points.keys())

    def get(self, name: str) -> RegisteredModel:
        spec = self.specs.get(name)
        if spec is not None and spec.trainer is not None:
            trainer, source = load_trainer(spec.trainer), f"configured {spec.trainer}"
        elif name in self.entry_points:
            trainer, source = self._from_entry_point(name)
        elif spec is not None:
            raise TrainerError(
                f"model {name!r} names no trainer and no installed package registers one; "
                f"set `trainer: package.module:ATTRIBUTE` for it"
            )
        else:
            raise UnknownModel(name, self.names())
        spec = spec or ModelSpec(name)
        return RegisteredModel(
            name, trainer, source, spec.data, dict(spec.params), spec.owner, spec.base_dir
        )

    def _from_entry_point(self, name: str) -> tuple[Trainer, str]:
        ep = self.entry_points[name]
        try:
            found = ep.load()
        except Exception as exc:  # an installed plugin that fails to import
            raise TrainerError(f"entry point {name} = {ep.value}: {exc}") from exc
        if not isinstance(found, Trainer) and callable(found):
            found = found()
        if not isinstance(found, Trainer):
            raise TrainerError(f"entry point {name} = {ep.value} is not a Trainer")
        dist = getattr(ep, "dist", None)
        return found, f"entry point {ep.value}" + (f" ({dist.name})" if dist else "")


def specs_to_json(specs: Iterable[ModelSpec]) -> str:
    """`ModelSpec`s as the JSON `SPECS_ENV` carries."""
    return json.dumps(
        [
            {
                "name": s.name,
                "trainer": s.trainer,
                "data": s.data,
                "params": dict(s.params),
                "owner": s.owner,
                "base_dir": None if s.base_dir is None else str(s.base_dir),
            }
            for s in specs
        ]
    )


def specs_from_json(text: str) -> list[ModelSpec]:
    try:
        rows = json.loads(text)
        return [
            ModelSpec(
                name=row["name"],
                trainer=row.get("trainer"),
                data=row.get("data"),
                params=dict(row.get("params") or {}),
                owner=row.get("owner"),
                base_dir=Path(row["base_dir"]) if row.get("base_dir") else None,
            )
            for row in rows
        ]
    except (ValueError, TypeError, KeyError) as exc:
        raise TrainerError(f"{SPECS_ENV} is not a JSON list of model specs: {exc}") from exc


def registry_from_environment(environ: Mapping[str, str] | None = None) -> TrainerRegistry:
    """The models `SPECS_ENV` configures, then the installed entry points."""
    text = (os.environ if environ is None else environ).get(SPECS_ENV)
    return TrainerRegistry(specs_from_json(text) if text else ())
