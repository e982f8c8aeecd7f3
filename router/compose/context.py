"""What composition rules look at."""

from __future__ import annotations

from dataclasses import dataclass, field

from .merge import MergeFacts
from .merged import MergedSupergraph
from .model import Subgraph


@dataclass
class CompositionContext:
    subgraphs: list[Subgraph]
    supergraph: MergedSupergraph = field(default_factory=MergedSupergraph)
    facts: MergeFacts = field(default_factory=MergeFacts)

    def subgraph(self, name: str) -> Subgraph:
        return next(s for s in self.subgraphs if s.name == name)
