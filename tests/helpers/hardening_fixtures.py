"""Fixtures shared by the suites that run the router against the misbehaving shop server.

tests/router/conftest.py re-exports them (`from tests.helpers.hardening_fixtures import ...`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers import hardening_subgraphs as subgraphs
from tests.helpers.hardening_harness import Harness, MakeRouter, shop_sdl
from tests.helpers.hardening_server import SubgraphServer

__all__ = ["make_router", "router", "shop"]


@pytest.fixture
async def shop() -> AsyncIterator[SubgraphServer]:
    subgraphs.reset()
    server = await SubgraphServer(subgraphs.SCHEMAS).start()
    yield server
    await server.stop()


@pytest.fixture
async def make_router(shop: SubgraphServer) -> AsyncIterator[MakeRouter]:
    made: list[Harness] = []

    async def make(settings: RouterSettings | dict[str, Any] | None = None, **urls: str) -> Harness:
        if isinstance(settings, dict):
            settings = RouterSettings.model_validate(settings)
        h = Harness(create_router_app(shop_sdl(shop, **urls), settings=settings))
        made.append(h)
        return h

    yield make
    for h in made:
        await h.aclose()


@pytest.fixture
async def router(make_router: MakeRouter) -> Harness:
    """The router in production mode (the defaults)."""
    return await make_router()
