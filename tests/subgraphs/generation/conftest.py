"""Fixtures of the generation tests: the fixture domain, one tiny trained generator, MiniLM."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from models.generation.templates import ResponseTemplates
from models.generation.training import TrainingConfig, TrainingResult, train_generator

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DOMAIN = FIXTURES / "concierge_domain.yml"

# Small enough to train in a few CPU seconds, big enough to learn the fixture domain.
TINY = TrainingConfig(
    seed=0, max_steps=160, time_budget_s=60, n_layer=2, n_embd=64, n_head=2, vocab_size=400
)

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def domain_path() -> Path:
    return DOMAIN


@pytest.fixture(scope="session")
def tiny_config() -> TrainingConfig:
    return TINY


@pytest.fixture(scope="session")
def fixture_templates() -> ResponseTemplates:
    return ResponseTemplates.from_domain_file(DOMAIN)


@pytest.fixture(scope="session")
def trained_generator(
    tmp_path_factory: pytest.TempPathFactory, fixture_templates: ResponseTemplates
) -> TrainingResult:
    """A generator trained on the fixture domain, saved in its own directory."""
    out = tmp_path_factory.mktemp("generator") / "generation" / "v-test"
    return train_generator(fixture_templates, out, name="generation", version="v-test", config=TINY)


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    from models.generation.embedding import SentenceEmbedder

    return SentenceEmbedder()
