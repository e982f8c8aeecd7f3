"""Model registry: which versions of which model exist, and which one is in production.

Artefact paths under the data dir (CHORUS_DATA_DIR) are stored relative to it, so
a data dir copied elsewhere (a cache, a volume) still finds its models.

Every trained artefact is registered with its metrics and the hash of the data it
was trained on, so any AI result can be traced to the exact model that made it.

Besides the training metrics, the JSON column keeps evaluations
(``metrics["evaluations"][data]``) and, under ``metrics["lifecycle"]``, what the
registry itself knows of a version: the promotion that made it production (the
version it replaced, when, whether forced), which rollbacks read, and the evaluation
gate's comparison with production. `ModelVersion.metrics` leaves the lifecycle out.
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
LIFECYCLE = "lifecycle"  # the key of the registry's own notes in the metrics column

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
    lifecycle: dict[str, Any] = field(default_factory=dict)

    @property
    def promotion(self) -> dict[str, Any] | None:
        """``{"previous": version or None, "at": iso time, "forced": bool}`` of the last
        promotion that made this version production (a rollback to it keeps it)."""
        return self.lifecycle.get("promotion")

    @property
    def gate(self) -> dict[str, Any] | None:
        """The evaluation gate's comparison with production (`models.evaluation_gate`)."""
        return self.lifecycle.get("gate")

    @property
    def evaluations(self) -> dict[str, dict[str, Any]]:
        """Metrics of evaluations after training, by the data they ran on."""
        return dict(self.metrics.get("evaluations") or {})


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
    metrics = dict(row.metrics or {})
    lifecycle = metrics.pop(LIFECYCLE, None) or {}
    return ModelVersion(
        name=row.name,
        version=row.version,
        stage=row.stage,
        path=_loaded_path(row.path),
        metrics=metrics,
        data_hash=row.data_hash,
        created_at=row.created_at,
        lifecycle=dict(lifecycle),
    )


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
            stored = dict(metrics)
            if stage == "production":
                previous = await self._archive_production(conn, name)
                stored[LIFECYCLE] = {"promotion": _promotion(previous, forced=False)}
            await conn.execute(
                model_versions.insert().values(
                    name=name,
                    version=version,
                    stage=stage,
                    path=_stored_path(str(path)),
                    metrics=stored,
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

    async def promote(self, name: str, version: str, *, forced: bool = False) -> ModelVersion:
        """Make `version` the production one; the previous production version is archived.

        The version remembers which one it replaced (for `rollback`). Promoting the
        production version again changes nothing. No evaluation gate here: that is
        `models.model_management.promote_model`'s job.
        """
        async with self.engine.begin() as conn:
            row = await self._locked(conn, name, version)
            if row.stage == "production":
                return _row(row)
            previous = await self._archive_production(conn, name)
            await self._write(conn, row, stage="production", promotion=_promotion(previous, forced))
        return await self._get_existing(name, version)

    async def rollback(self, name: str) -> tuple[ModelVersion, ModelVersion]:
        """Production goes back to the version the current one replaced; returns (back, off).

        The current version is archived. Rolling back again goes one further step back
        (each version keeps the promotion that first replaced its predecessor).
        """
        async with self.engine.begin() as conn:
            current = (
                await conn.execute(
                    sa.select(model_versions)
                    .where(model_versions.c.name == name, model_versions.c.stage == "production")
                    .order_by(model_versions.c.id.desc())
                    .with_for_update()
                )
            ).first()
            if current is None:
                raise RegistryError(f"model {name} has no production version to roll back")
            promotion = _row(current).promotion or {}
            previous = promotion.get("previous")
            if previous is None:
                raise RegistryError(
                    f"model {name} version {current.version} replaced no earlier version; "
                    "there is nothing to roll back to"
                )
            back = await self._locked(conn, name, previous)
            await conn.execute(
                model_versions.update()
                .where(model_versions.c.id == current.id)
                .values(stage="archived", metrics=_with_lifecycle(current, rolled_back=_now_iso()))
            )
            await conn.execute(
                model_versions.update()
                .where(model_versions.c.id == back.id)
                .values(stage="production")
            )
        return await self._get_existing(name, previous), await self._get_existing(
            name, current.version
        )

    async def record_gate(self, name: str, version: str, gate: dict[str, Any]) -> ModelVersion:
        """Keep the evaluation gate's comparison with the version (``lifecycle.gate``)."""
        async with self.engine.begin() as conn:
            row = await self._locked(conn, name, version)
            await conn.execute(
                model_versions.update()
                .where(model_versions.c.id == row.id)
                .values(metrics=_with_lifecycle(row, gate=gate))
            )
        return await self._get_existing(name, version)

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

    async def _get_existing(self, name: str, version: str) -> ModelVersion:
        found = await self.get(name, version)
        if found is None:  # deleted between two statements: not by this code
            raise RegistryError(f"model {name} has no version {version}")
        return found

    @staticmethod
    async def _locked(conn: Any, name: str, version: str) -> Any:
        """The version's row, locked for this transaction where the database can."""
        row = (
            await conn.execute(
                sa.select(model_versions)
                .where(model_versions.c.name == name, model_versions.c.version == version)
                .with_for_update()
            )
        ).first()
        if row is None:
            raise RegistryError(f"model {name} has no version {version}")
        return row

    @staticmethod
    async def _write(conn: Any, row: Any, *, stage: str, promotion: dict[str, Any]) -> None:
        await conn.execute(
            model_versions.update()
            .where(model_versions.c.id == row.id)
            .values(stage=stage, metrics=_with_lifecycle(row, promotion=promotion))
        )

    @staticmethod
    async def _archive_production(conn: Any, name: str) -> str | None:
        """Archive the production version; returns it (None when there was none)."""
        current = (
            await conn.execute(
                sa.select(model_versions.c.version)
                .where(model_versions.c.name == name, model_versions.c.stage == "production")
                .order_by(model_versions.c.id.desc())
            )
        ).first()
        await conn.execute(
            model_versions.update()
            .where(model_versions.c.name == name, model_versions.c.stage == "production")
            .values(stage="archived")
        )
        return None if current is None else str(current.version)


def _promotion(previous: str | None, forced: bool) -> dict[str, Any]:
    return {"previous": previous, "at": _now_iso(), "forced": forced}


def _with_lifecycle(row: Any, **notes: Any) -> dict[str, Any]:
    """The row's stored metrics with `notes` merged into its lifecycle."""
    stored = dict(row.metrics or {})
    stored[LIFECYCLE] = {**(stored.get(LIFECYCLE) or {}), **notes}
    return stored
