"""Fixtures for the concierge's whole-stack tests (see tests/helpers/pipeline_stack.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.pipeline_stack import Stack, start_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        running.stop()
