"""What composition rules look at."""

from __future__ import annotations

from dataclasses import dataclass, field

from .merge import MergeFacts
from .model import Subgraph
from .supergraph import Supergraph


@dataclass
class CompositionContext:
    subgraphs: list[Subgraph]
    supergraph: Supergraph = field(default_factory=Supergraph)
    facts: MergeFacts = field(default_factory=MergeFacts)

    def subgraph(self, name: str) -> Subgraph:
        return next(s for s in self.subgraphs if s.name == name)
