"""Fixtures: the shop subgraphs on a real socket server that can be told to misbehave."""

from __future__ import annotations

from tests.helpers.hardening_fixtures import make_router, router, shop

__all__ = ["make_router", "router", "shop"]
