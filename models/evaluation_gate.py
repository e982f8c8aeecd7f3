"""The evaluation gate: a candidate is not promoted when it does worse than production.

"Worse" is measured on the model's primary metric (higher is better), with both
versions evaluated on the same data: the held-out split of the candidate's training
job (the training service records it with the candidate as ``lifecycle.gate``), or
else any data both were evaluated on (``chorus test NAME --version V --data FILE``
records such evaluations). Without a common evaluation there is no evidence against
the candidate and it passes, except when the candidate was compared with a production
version that is no longer the one serving: then the current one must be evaluated on
the same data first (or the promotion forced).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.registry import ModelVersion


@dataclass(frozen=True)
class GateCheck:
    """The verdict, and the figures it rests on (None where nothing was compared)."""

    allowed: bool
    reason: str
    metric: str | None = None
    data: str | None = None
    candidate: float | None = None
    production: float | None = None
    production_version: str | None = None


def gate_record(
    metric: str,
    data: str,
    candidate: float | None,
    production: ModelVersion | None,
    production_value: float | None,
) -> dict[str, Any]:
    """What the training service stores with a candidate after evaluating both versions."""
    return {
        "metric": metric,
        "data": data,
        "candidate": candidate,
        "production": production_value,
        "production_version": production.version if production else None,
    }


def _number(metrics: dict[str, Any] | None, metric: str) -> float | None:
    value = (metrics or {}).get(metric)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def check(
    candidate: ModelVersion,
    production: ModelVersion | None,
    primary_metric: str | None = None,
) -> GateCheck:
    """May `candidate` replace `production`? (Promotion itself is not done here.)"""
    if production is None:
        return GateCheck(True, "no production version to compare with")
    if production.version == candidate.version:
        return GateCheck(True, "already the production version")
    gate = candidate.gate or {}
    metric = gate.get("metric") or primary_metric
    if not metric:
        return GateCheck(True, "the model's trainer names no primary metric")
    keys = [gate["data"]] if gate.get("data") else []
    keys += sorted(set(candidate.evaluations) & set(production.evaluations) - set(keys))
    for data in keys:
        ours = _number(candidate.evaluations.get(data), metric)
        theirs = _number(production.evaluations.get(data), metric)
        if ours is None or theirs is None:
            continue
        base = {
            "metric": metric,
            "data": data,
            "candidate": ours,
            "production": theirs,
            "production_version": production.version,
        }
        if ours < theirs:
            return GateCheck(
                False,
                f"{candidate.name} {candidate.version} is worse than production "
                f"{production.version} on {metric} ({ours:.4f} < {theirs:.4f} on {data}); "
                "promote with force to override",
                **base,
            )
        return GateCheck(True, f"{metric} {ours:.4f} >= {theirs:.4f} on {data}", **base)
    if gate.get("data") and gate.get("production_version") not in (None, production.version):
        return GateCheck(
            False,
            f"{candidate.name} {candidate.version} was compared with version "
            f"{gate['production_version']}, but production is now {production.version}, "
            f"which was not evaluated on the same data ({gate['data']}); evaluate it "
            f"(`chorus test {candidate.name} --version {production.version} "
            f"--data {gate['data']}`) or promote with force",
            metric=metric,
            data=gate["data"],
            candidate=_number(candidate.evaluations.get(gate["data"]), metric),
            production_version=production.version,
        )
    return GateCheck(True, "not compared: no evaluation of both versions on the same data")
