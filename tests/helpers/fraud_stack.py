"""The fraud application on real servers: its four subgraphs (uvicorn, in this event loop) over
one migrated SQLite database, composed into a supergraph (with other subgraphs' SDL when a test
gives it), and a router in front of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from apps.fraud.alerting.app import create_app as alerting_app
from apps.fraud.anomaly.app import create_app as anomaly_app
from apps.fraud.features.app import create_app as features_app
from apps.fraud.ingestion.app import create_app as ingestion_app
from router.compose import SubgraphSource, compose
from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers import stream_subgraphs as servers
from tests.helpers.fraud import migrated, register_anomaly, velocity_model
from tests.helpers.stacks import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class FraudStack:
    base: str  # http://127.0.0.1:PORT of the router
    supergraph: str
    database_url: str
    subgraphs: dict[str, servers.Served] = field(default_factory=dict)

    @property
    def graphql(self) -> str:
        return f"{self.base}/graphql"

    @property
    def ws(self) -> str:
        return self.graphql.replace("http://", "ws://")

    async def gql(
        self, query: str, *, headers: dict[str, str] | None = None, **variables: Any
    ) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                self.graphql, json={"query": query, "variables": variables}, headers=headers
            )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def stop_subgraph(self, name: str) -> None:
        await servers.stop(self.subgraphs.pop(name))


async def _fetch_sdl(url: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json={"query": "{ _service { sdl } }"})
    return str(response.json()["data"]["_service"]["sdl"])


@asynccontextmanager
async def fraud_stack(
    folder: Path,
    settings: RouterSettings,
    static: dict[str, Path] | None = None,
    extra_sources: Sequence[SubgraphSource] = (),
) -> AsyncIterator[FraudStack]:
    """The stack with the hand-set velocity model as the anomaly model's version 1.

    `static` mounts folders of files on the router, as `chorus router --static` does.
    `extra_sources` compose into the same supergraph (e.g. the concierge's subgraphs, not
    served: a test of the fraud plan in the whole supergraph).
    """
    url = migrated(folder)
    await register_anomaly(url, "1", velocity_model(folder / "v1"))
    apps = {
        "ingestion": ingestion_app(url),
        "features": features_app(url),
        "anomaly": anomaly_app(url),
        "alerting": alerting_app(url),
    }
    served = {
        name: await servers.serve(app, free_port(), lifespan="on") for name, app in apps.items()
    }
    try:
        for app in apps.values():
            await app.state.readiness.wait()
            assert app.state.readiness.ready, app.state.readiness.error
        sources = [
            SubgraphSource(name, served[name].url, await _fetch_sdl(served[name].url))
            for name in apps
        ]
        result = compose([*sources, *extra_sources])
        assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
        application = create_router_app(result.supergraph_sdl, settings=settings)
        for prefix, directory in (static or {}).items():
            application.router.routes.insert(
                0, Mount(prefix, app=StaticFiles(directory=directory, html=True))
            )
        router = await servers.serve(application, free_port())
        try:
            yield FraudStack(
                router.url.removesuffix("/graphql"), result.supergraph_sdl, url, served
            )
        finally:
            await servers.stop(router)
    finally:
        for server in served.values():
            await servers.stop(server)
