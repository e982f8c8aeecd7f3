"""Tiny subgraphs on the kit for CLI tests: one that starts, one whose start-up fails for good.

Served with `chorus subgraph NAME` from a temporary chorus.yaml
(`app: tests.helpers.tiny_subgraphs:alpha_app`).
"""

from __future__ import annotations

import strawberry
from starlette.applications import Starlette

from subgraphs.kit import create_app

BROKEN_REASON = "the alpha model file /nowhere/alpha.bin does not exist"


@strawberry.type
class AlphaQuery:
    @strawberry.field
    def alpha(self) -> str:
        return "a"


@strawberry.type
class BetaQuery:
    @strawberry.field
    def beta(self) -> int:
        return 1


def alpha_schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=AlphaQuery)


def alpha_app() -> Starlette:
    return create_app(alpha_schema(), name="alpha")


def beta_app() -> Starlette:
    return create_app(strawberry.federation.Schema(query=BetaQuery), name="beta")


async def _missing_model() -> None:
    raise FileNotFoundError(BROKEN_REASON)


def broken_app() -> Starlette:
    """Its start-up hook fails: /ready answers 503 with the reason and `permanent: true`."""
    return create_app(alpha_schema(), name="broken", on_startup=[_missing_model])
