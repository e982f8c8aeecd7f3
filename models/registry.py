"""Model registry: which versions of which model exist, and which one is in production.

Artefact paths under the data dir (CHORUS_DATA_DIR) are stored relative to it, so
a data dir copied elsewhere (a cache, a volume) still finds its models.

Every trained artefact is registered with its metrics and the hash of the data it
was trained on, so any AI result can be traced to the exact model that made it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from models.db import data_dir

STAGES = ("candidate", "production", "archived")

metadata = sa.MetaData()

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("stage", sa.String(32), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("metrics", sa.JSON, nullable=False),
    sa.Column("data_hash", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


class RegistryError(Exception):
    """A registry request that cannot be honoured (unknown version, bad stage)."""


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    stage: str
    path: str
    metrics: dict[str, Any] = field(default_factory=dict)
    data_hash: str = ""
    created_at: dt.datetime | None = None


def _stored_path(path: str) -> str:
    """Artefacts inside the data dir are stored relative to it, so a data dir can move.

    A relative path is taken as relative to the data dir already.
    """
    if not Path(path).is_absolute():
        return path
    absolute = Path(path).resolve()
    root = data_dir().resolve()
    if absolute.is_relative_to(root):
        return str(absolute.relative_to(root))
    return str(absolute)


def _loaded_path(path: str) -> str:
    return path if Path(path).is_absolute() else str(data_dir().resolve() / path)


def _row(row: Any) -> ModelVersion:
    return ModelVersion(
        name=row.name,
        version=row.version,
        stage=row.stage,
        path=_loaded_path(row.path),
        metrics=dict(row.metrics or {}),
        data_hash=row.data_hash,
        created_at=row.created_at,
    )


class ModelRegistry:
    """Reads and writes the `model_versions` table (created by migration 0001)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def register(
        self,
        name: str,
        version: str,
        path: str,
        metrics: dict[str, Any],
        data_hash: str,
        stage: str = "candidate",
    ) -> ModelVersion:
        if stage not in STAGES:
            raise RegistryError(f"unknown stage {stage!r}; expected one of {', '.join(STAGES)}")
        now = dt.datetime.now(dt.UTC)
        async with self.engine.begin() as conn:
            existing = await conn.execute(
                sa.select(model_versions.c.id).where(
                    model_versions.c.name == name, model_versions.c.version == version
                )
            )
            if existing.first() is not None:
                raise RegistryError(f"model {name} version {version} is already registered")
            if stage == "production":
                await self._archive_production(conn, name)
            await conn.execute(
                model_versions.insert().values(
                    name=name,
                    version=version,
                    stage=stage,
                    path=_stored_path(str(path)),
                    metrics=metrics,
                    data_hash=data_hash,
                    created_at=now,
                )
            )
        return ModelVersion(
            name, version, stage, _loaded_path(_stored_path(str(path))), metrics, data_hash, now
        )

    async def get(self, name: str, version: str) -> ModelVersion | None:
        async with self.engine.connect() as conn:
            result = await conn.execute(
                sa.select(model_versions).where(
                    model_versions.c.name == name, model_versions.c.version == version
                )
            )
            row = result.first()
        return _row(row) if row is not None else None

    async def production(self, name: str) -> ModelVersion | None:
        """The version serving traffic: the production one, else None."""
        async with self.engine.connect() as conn:
            result = await conn.execute(
                sa.select(model_versions)
                .where(model_versions.c.name == name, model_versions.c.stage == "production")
                .order_by(model_versions.c.id.desc())
            )
            row = result.first()
        return _row(row) if row is not None else None

    async def latest(self, name: str) -> ModelVersion | None:
        async with self.engine.connect() as conn:
            result = await conn.execute(
                sa.select(model_versions)
                .where(model_versions.c.name == name)
                .order_by(model_versions.c.id.desc())
            )
            row = result.first()
        return _row(row) if row is not None else None

    async def promote(self, name: str, version: str) -> ModelVersion:
        """Make `version` the production one; the previous production version is archived."""
        async with self.engine.begin() as conn:
            found = await conn.execute(
                sa.select(model_versions.c.id).where(
                    model_versions.c.name == name, model_versions.c.version == version
                )
            )
            if found.first() is None:
                raise RegistryError(f"model {name} has no version {version}")
            await self._archive_production(conn, name)
            await conn.execute(
                model_versions.update()
                .where(model_versions.c.name == name, model_versions.c.version == version)
                .values(stage="production")
            )
        promoted = await self.get(name, version)
        assert promoted is not None
        return promoted

    async def record_evaluation(
        self, name: str, version: str, data: str, metrics: dict[str, Any]
    ) -> ModelVersion:
        """Keep an evaluation with the version: ``metrics["evaluations"][data] = metrics``.

        The training metrics stay as they were; a later evaluation on the same data replaces
        the earlier one.
        """
        async with self.engine.begin() as conn:
            found = await conn.execute(
                sa.select(model_versions.c.metrics).where(
                    model_versions.c.name == name, model_versions.c.version == version
                )
            )
            row = found.first()
            if row is None:
                raise RegistryError(f"model {name} has no version {version}")
            stored = dict(row.metrics or {})
            evaluations = dict(stored.get("evaluations") or {})
            evaluations[data] = metrics
            stored["evaluations"] = evaluations
            await conn.execute(
                model_versions.update()
                .where(model_versions.c.name == name, model_versions.c.version == version)
                .values(metrics=stored)
            )
        updated = await self.get(name, version)
        assert updated is not None
        return updated

    async def list(self, name: str | None = None) -> list[ModelVersion]:
        query = sa.select(model_versions).order_by(model_versions.c.name, model_versions.c.id)
        if name is not None:
            query = query.where(model_versions.c.name == name)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_row(r) for r in rows]

    @staticmethod
    async def _archive_production(conn: Any, name: str) -> None:
        await conn.execute(
            model_versions.update()
            .where(model_versions.c.name == name, model_versions.c.stage == "production")
            .values(stage="archived")
        )
