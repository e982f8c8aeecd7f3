"""Model management: list, promote (through the evaluation gate) and roll back versions.

The one implementation behind `chorus models list|promote|rollback` and the training
subgraph's `models`, `promoteModel` and `rollbackModel`. Serving subgraphs follow the
registry's production version (`subgraphs.kit.ServedModel`), so a promotion or a
rollback here switches them without a restart.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.evaluation_gate import GateCheck, check
from models.registry import ModelRegistry, ModelVersion, RegistryError


class PromotionRefused(RegistryError):
    """The evaluation gate found the candidate worse than production; `check` says why."""

    def __init__(self, gate: GateCheck) -> None:
        super().__init__(gate.reason)
        self.gate = gate


@dataclass(frozen=True)
class Promotion:
    """What a promotion or rollback did: the version now serving and the one it replaced."""

    production: ModelVersion
    previous: str | None
    gate: GateCheck | None = None
    forced: bool = False


async def list_versions(registry: ModelRegistry, name: str | None = None) -> list[ModelVersion]:
    return await registry.list(name)


async def promote_model(
    registry: ModelRegistry,
    name: str,
    version: str,
    *,
    force: bool = False,
    primary_metric: str | None = None,
) -> Promotion:
    """Make `version` production unless the gate refuses it (`force` overrides the gate).

    `primary_metric` is the trainer's, for versions the training service did not gate
    (it records the metric with the comparison). Raises `RegistryError` for an unknown
    version and `PromotionRefused` when the gate says no.
    """
    candidate = await registry.get(name, version)
    if candidate is None:
        raise RegistryError(f"model {name} has no version {version}")
    current = await registry.production(name)
    gate = check(candidate, current, primary_metric)
    if not gate.allowed and not force:
        raise PromotionRefused(gate)
    forced = force and not gate.allowed
    promoted = await registry.promote(name, version, forced=forced)
    previous = None if current is None or current.version == version else current.version
    return Promotion(promoted, previous, gate, forced)


async def rollback_model(registry: ModelRegistry, name: str) -> Promotion:
    """Production goes back to the version the current one replaced (no gate: it served)."""
    back, off = await registry.rollback(name)
    return Promotion(back, off.version)
