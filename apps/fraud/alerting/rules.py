"""Alert rules from YAML: a score threshold per merchant category, and velocity limits.

The rules decide on what the other subgraphs computed: the model's risk score and the
card's counts from the features. A rule file with a typo is refused at start-up with
the key that is wrong, rather than silently alerting on the defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")


class Severity(Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScoreRules(_Strict):
    default: float = Field(ge=0, le=1)
    categories: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _in_range(self) -> ScoreRules:
        bad = {k: v for k, v in self.categories.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"category thresholds must be between 0 and 1: {bad}")
        return self


class VelocityRules(_Strict):
    per_minute: int = Field(ge=1)
    per_hour: int = Field(ge=1)


class SeverityRules(_Strict):
    high: float = Field(ge=0, le=1)
    medium: float = Field(ge=0, le=1)


class Rules(_Strict):
    score: ScoreRules
    velocity: VelocityRules
    severity: SeverityRules

    def threshold(self, category: str) -> float:
        return self.score.categories.get(category, self.score.default)

    def decide(
        self, category: str, score: float, last_minute: int, last_hour: int
    ) -> Decision | None:
        """The alert these figures raise, or None."""
        reasons = []
        threshold = self.threshold(category)
        if score >= threshold:
            reasons.append(f"risk score {score:.2f} >= {threshold:.2f} for {category}")
        fast = []
        if last_minute > self.velocity.per_minute:
            fast.append(f"{last_minute} payments in the last minute (> {self.velocity.per_minute})")
        if last_hour > self.velocity.per_hour:
            fast.append(f"{last_hour} payments in the last hour (> {self.velocity.per_hour})")
        reasons += fast
        if not reasons:
            return None
        if fast or score >= self.severity.high:
            severity = Severity.HIGH
        elif score >= self.severity.medium:
            severity = Severity.MEDIUM
        else:
            severity = Severity.LOW
        return Decision(severity, reasons)


@dataclass(frozen=True)
class Decision:
    severity: Severity
    reasons: list[str]


class RulesError(ValueError):
    """The rules file cannot be used; the message names the file and the problem."""


def load_rules(path: Path | None = None) -> Rules:
    """`path`, else CHORUS_ALERTING_RULES, else the shipped rules.yaml."""
    path = path or Path(os.environ.get("CHORUS_ALERTING_RULES") or DEFAULT_RULES)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"alert rules {path}: {exc}") from exc
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'top level'}: {e['msg']}" for e in exc.errors()
        )
        raise RulesError(f"alert rules {path}: {problems}") from exc
