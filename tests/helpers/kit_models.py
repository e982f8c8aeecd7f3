"""Weights, registry entries and an HTTP client for the kit's example sentiment subgraph."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import torch
from safetensors.torch import save_file
from starlette.applications import Starlette

import migrations
from models.db import create_engine
from models.registry import ModelRegistry
from tests.helpers.kit_sentiment import FEATURES

POSITIVE = ("good", "great", "lovely")
NEGATIVE = ("bad", "awful", "cold")


def save_weights(folder: Path, *, flipped: bool = False) -> Path:
    """A linear classifier that reads the words above (`flipped`: it reads them backwards)."""
    weight = torch.zeros(2, FEATURES)
    for label, words in ((1, POSITIVE), (0, NEGATIVE)):
        for word in words:
            weight[label, zlib.crc32(word.encode()) % FEATURES] = 4.0
    if flipped:
        weight = weight.flip(0)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({"weight": weight.contiguous(), "bias": torch.zeros(2)}, folder / "model.safetensors")
    return folder


def registry_url(folder: Path) -> str:
    url = f"sqlite+aiosqlite:///{folder / 'chorus.db'}"
    migrations.upgrade(url)
    return url


async def register(url: str, version: str, path: Path, stage: str = "candidate") -> None:
    engine = create_engine(url)
    try:
        await ModelRegistry(engine).register("sentiment", version, str(path), {}, "h", stage)
    finally:
        await engine.dispose()


async def promote(url: str, version: str) -> None:
    engine = create_engine(url)
    try:
        await ModelRegistry(engine).promote("sentiment", version)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan (start-up hooks and models) and hand out a client for it."""
    async with app.router.lifespan_context(app):
        await app.state.readiness.wait()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://reviews") as client:
            yield client


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
