"""Fixtures for the composition tests (the helpers themselves are in tests.helpers.compose)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.compose import ensure_peer, peer_available, run_peer


@pytest.fixture(scope="session")
def peer() -> Any:
    reason = peer_available()
    if reason:
        pytest.skip(reason)
    ensure_peer()
    return run_peer
