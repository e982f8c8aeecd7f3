"""The dialogue clock can start at a fixed instant (tests and story runs) and runs on from there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from subgraphs.dialogue.service import DialogueService
from subgraphs.dialogue.settings import DialogueSettings
from subgraphs.dialogue.store import clock_from
from tests.helpers.apps import use_concierge_env


def test_a_started_clock_reads_its_start_and_runs_on() -> None:
    start = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
    clock = clock_from(start)
    first = clock()
    assert timedelta(0) <= first - start < timedelta(seconds=5)
    assert clock() >= first


def test_a_start_without_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a UTC offset"):
        clock_from(datetime(2026, 12, 8, 12, 0))


def test_the_setting_moves_the_service_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    use_concierge_env(monkeypatch, "dialogue")
    monkeypatch.setenv("CHORUS_DIALOGUE_CLOCK_START", "2030-01-01T09:00:00+01:00")
    service = DialogueService(DialogueSettings())
    now = service.store.clock()
    assert now.year == 2030 and now.month == 1
