"""Fixtures for the router tests: the shop subgraphs on a real socket server that can be told to
misbehave, and router harnesses over them (used by http/, request/, subgraph_call/ and plugins/).
"""

from __future__ import annotations

from tests.helpers.hardening_fixtures import make_router, router, shop

__all__ = ["make_router", "router", "shop"]
