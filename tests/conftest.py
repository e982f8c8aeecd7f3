"""Shared fixtures: real databases (a throwaway PostgreSQL database per session, SQLite files),
one small NLU model trained on the concierge data (tests/models/nlu, tests/subgraphs/nlu and
tests/chorus/test_nlu_cli.py share it), and one tiny generator trained on the generation fixture
domain (tests/models/generation and tests/subgraphs/generation share it)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from observability import configure_tracing

if TYPE_CHECKING:
    from models.generation.templates import ResponseTemplates
    from models.generation.training import TrainingConfig, TrainingResult

PG_URL = os.environ.get(
    "CHORUS_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REPO = Path(__file__).resolve().parent.parent
# The test process starts many subgraph apps, and each would freeze the heap once ready
# (subgraphs/kit/heap.py), keeping cyclic garbage of earlier tests out of the collector's
# reach; tests/subgraphs/kit/test_heap.py turns it on where it is the subject.
os.environ.setdefault("CHORUS_GC_FREEZE", "0")
SHARED = REPO.parent / "shared"
# The NLU tests train and serve on one torch thread (concierge_model below, `chorus train nlu`).
os.environ.setdefault("CHORUS_TORCH_THREADS", "1")


# One tracer provider for the test process, recording in memory (nothing exported).
_SPANS = InMemorySpanExporter()
_provider = TracerProvider(resource=Resource.create({"service.name": "chorus-tests"}))
_provider.add_span_processor(SimpleSpanProcessor(_SPANS))
trace.set_tracer_provider(_provider)
configure_tracing("chorus-tests", exporter="none")  # later calls in this process are no-ops


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """The spans finished during one test."""
    _SPANS.clear()
    yield _SPANS
    _SPANS.clear()


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


@contextlib.asynccontextmanager
async def temporary_pg_database() -> AsyncIterator[str]:
    """Create an empty PostgreSQL database with a unique name; drop it on exit."""
    name = f"chorus_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(_dsn(PG_URL))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base, _, _ = PG_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(_dsn(PG_URL))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for one test."""
    async with temporary_pg_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each test using this runs on both databases: embedded SQLite and real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'chorus.db'}"
        return
    async with temporary_pg_database() as url:
        yield url


# One real (small) training run on the shipped concierge data, shared by the NLU tests.
CONCIERGE_NLU = REPO / "apps" / "concierge" / "data" / "nlu.yml"
# Enough optimiser steps to learn the concierge intents with the real MiniLM,
# few enough to keep the whole NLU suite well under a minute of CPU.
TEST_STEPS = 90


@dataclass(frozen=True)
class TrainedModel:
    path: Path
    result: object  # models.nlu.training.TrainResult


@pytest.fixture(scope="session")
def concierge_model(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    from models.nlu.training import TrainConfig, train_nlu
    from models.nlu.yaml_format import load_training_yaml

    data = load_training_yaml(CONCIERGE_NLU)
    cfg = TrainConfig(epochs=20, max_steps=TEST_STEPS, seed=7, eval_each_epoch=False)
    result = train_nlu(data, holdout=0.2, config=cfg, name="nlu-test", version="test-1")
    path = tmp_path_factory.mktemp("nlu-model") / "test-1"
    result.model.save(path, metrics=result.report.summary() if result.report else {})
    return TrainedModel(path, result)


# The generation fixture domain and one tiny generator trained on it, shared by the library's
# tests (tests/models/generation) and the subgraph's (tests/subgraphs/generation). Defined here,
# once: a session fixture defined in (or re-exported by) two conftest files trains twice.
GENERATION_DOMAIN = REPO / "tests/subgraphs/generation/fixtures/concierge_domain.yml"


@pytest.fixture(scope="session")
def domain_path() -> Path:
    return GENERATION_DOMAIN


@pytest.fixture(scope="session")
def tiny_config() -> TrainingConfig:
    """Small enough to train in a few CPU seconds, big enough to learn the fixture domain."""
    from models.generation.training import TrainingConfig

    return TrainingConfig(
        seed=0, max_steps=160, time_budget_s=60, n_layer=2, n_embd=64, n_head=2, vocab_size=400
    )


@pytest.fixture(scope="session")
def fixture_templates() -> ResponseTemplates:
    from models.generation.templates import ResponseTemplates

    return ResponseTemplates.from_domain_file(GENERATION_DOMAIN)


@pytest.fixture(scope="session")
def trained_generator(
    tmp_path_factory: pytest.TempPathFactory,
    fixture_templates: ResponseTemplates,
    tiny_config: TrainingConfig,
) -> TrainingResult:
    """A generator trained on the fixture domain, saved in its own directory."""
    from models.generation.training import train_generator

    out = tmp_path_factory.mktemp("generator") / "generation" / "v-test"
    return train_generator(
        fixture_templates, out, name="generation", version="v-test", config=tiny_config
    )
