"""Helpers shared by the NLU subgraph tests: serve an app in-process and query it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from starlette.applications import Starlette

UNDERSTAND = """
query($text: String!) {
  understand(text: $text) {
    text fallback
    intent { name confidence }
    ranking { name confidence }
    entities { type value text start end confidence extractor }
    model { name version }
  }
}
"""

ENTITIES = """
query($reps: [_Any!]!) {
  _entities(representations: $reps) {
    ... on Turn {
      id
      understanding { intent { name } entities { type value start end } model { version } }
    }
  }
}
"""


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan, wait until it is ready, and hand out a client for it."""
    async with app.router.lifespan_context(app):
        await app.state.readiness.wait()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://nlu") as client:
            yield client


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
