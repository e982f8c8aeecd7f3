"""A small Dockerfile reader for the static checks: stages and their instructions."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Instruction:
    keyword: str
    value: str

    def exec_form(self) -> list[str] | None:
        """The JSON (exec) form of CMD/ENTRYPOINT/HEALTHCHECK CMD, else None."""
        text = self.value
        if self.keyword == "HEALTHCHECK":
            text = re.sub(r"^(--\S+\s+)*CMD\s+", "", text)
        try:
            parsed = json.loads(text)
        except ValueError:
            return None
        return parsed if isinstance(parsed, list) else None


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """ENV of this stage alone (`ENV A=1 B=2` form)."""
        values: dict[str, str] = {}
        for inst in self.all("ENV"):
            for token in shlex.split(inst.value):
                key, _, val = token.partition("=")
                values[key] = val
        return values


def logical_lines(text: str) -> list[str]:
    """Join continuation lines and drop comments and blank lines."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        lines.append((current + stripped).strip())
        current = ""
    if current:
        lines.append(current.strip())
    return lines


def parse(path: Path) -> tuple[dict[str, str], list[Stage]]:
    """Global ARGs (before the first FROM) and the stages in order."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical_lines(path.read_text()):
        keyword, _, value = line.partition(" ")
        keyword = keyword.upper()
        value = value.strip()
        if keyword == "FROM":
            parts = value.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name=name, base=parts[0]))
        elif not stages:
            if keyword == "ARG":
                key, _, default = value.partition("=")
                args[key] = default
        else:
            stages[-1].instructions.append(Instruction(keyword, value))
    return args, stages


def stage_args(stage: Stage) -> dict[str, str]:
    values: dict[str, str] = {}
    for inst in stage.all("ARG"):
        key, _, default = inst.value.partition("=")
        values[key] = default
    return values


def lineage(stages: list[Stage], name: str) -> list[Stage]:
    """The stage and the stages it is built FROM, nearest first."""
    by_name = {s.name: s for s in stages}
    chain: list[Stage] = []
    current: Stage | None = by_name[name]
    while current is not None:
        chain.append(current)
        current = by_name.get(current.base)
    return chain
