"""Supergraph loading: join metadata and the API schema."""

from __future__ import annotations

from router.supergraph.load import SupergraphError, load_supergraph
from router.supergraph.model import FieldJoin, Key, Subgraph, Supergraph

__all__ = ["FieldJoin", "Key", "Subgraph", "Supergraph", "SupergraphError", "load_supergraph"]
