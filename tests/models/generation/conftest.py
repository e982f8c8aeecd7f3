"""Fixtures of the generation library's tests: MiniLM. The fixture domain and the tiny trained
generator they share with tests/subgraphs/generation are in tests/conftest.py."""

from __future__ import annotations

import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    from models.generation.embedding import SentenceEmbedder

    return SentenceEmbedder()
