"""Fixtures for tests/hardening: a real misbehaving subgraph server and router harnesses."""

from __future__ import annotations

from tests.helpers.hardening_fixtures import make_router, router, shop

__all__ = ["make_router", "router", "shop"]
