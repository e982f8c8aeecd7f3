"""Fixtures for the plugin tests: routers built from a router.yaml over the shop's subgraphs
(the `shop` fixture, on real sockets, comes from tests/router/conftest.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from router.server.app import create_router_app
from router.settings import load_router_settings
from tests.helpers.hardening_harness import Harness, shop_sdl
from tests.helpers.hardening_server import SubgraphServer
from tests.helpers.plugin_harness import MakeConfiguredRouter

__all__ = ["configured_router"]


@pytest.fixture
async def configured_router(
    shop: SubgraphServer, tmp_path: Path
) -> AsyncIterator[MakeConfiguredRouter]:
    """A router built the way `chorus router --router-config router.yaml` builds it."""
    made: list[Harness] = []

    async def make(config: dict[str, Any]) -> Harness:
        path = tmp_path / f"router-{len(made)}.yaml"
        path.write_text(yaml.safe_dump(config))
        h = Harness(create_router_app(shop_sdl(shop), settings=load_router_settings(path)))
        made.append(h)
        return h

    yield make
    for h in made:
        await h.aclose()
