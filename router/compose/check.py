"""Schema checks: what a proposed subgraph schema changes for clients.

The proposed SDL is composed with the other subgraphs and the resulting API
schema compared with today's, with graphql-core's breaking and dangerous
change finders. Comparing API schemas (not subgraph schemas) is what matters:
removing a field from one subgraph breaks nothing while another still
resolves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import BreakingChange, DangerousChange, find_breaking_changes, find_dangerous_changes

from .api_schema import api_schema
from .compose import compose
from .types import CompositionError, SubgraphSource


@dataclass
class CheckResult:
    """Errors of the proposed composition, else the changes it makes to the API schema."""

    errors: list[CompositionError] = field(default_factory=list)
    baseline_errors: list[CompositionError] = field(default_factory=list)
    breaking: list[BreakingChange] = field(default_factory=list)
    dangerous: list[DangerousChange] = field(default_factory=list)
    supergraph_sdl: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.breaking


def replace_subgraph(
    sources: list[SubgraphSource], name: str, sdl: str, url: str | None = None
) -> list[SubgraphSource]:
    """The sources with one subgraph's SDL replaced (or the subgraph added)."""
    out = [s for s in sources if s.name != name]
    current = next((s for s in sources if s.name == name), None)
    routing = url or (current.url if current else f"http://{name}.invalid/graphql")
    out.append(SubgraphSource(name, routing, sdl))
    return out


def check_subgraph(sources: list[SubgraphSource], name: str, sdl: str) -> CheckResult:
    """Compose with `name`'s schema replaced by `sdl`; report API schema changes."""
    result = CheckResult()
    proposed = compose(replace_subgraph(sources, name, sdl))
    if proposed.supergraph_sdl is None:
        result.errors = proposed.errors
        return result
    result.supergraph_sdl = proposed.supergraph_sdl
    baseline = compose(sources)
    if baseline.supergraph_sdl is None:
        # Today's graph does not compose: every change is new, nothing can break.
        result.baseline_errors = baseline.errors
        return result
    old = api_schema(baseline.supergraph_sdl)
    new = api_schema(proposed.supergraph_sdl)
    result.breaking = find_breaking_changes(old, new)
    result.dangerous = find_dangerous_changes(old, new)
    return result
