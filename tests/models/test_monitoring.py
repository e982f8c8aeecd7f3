"""Rolling per-version model statistics."""

from __future__ import annotations

import pytest

from models.monitoring import ModelMonitor


def test_stats_per_version_over_the_window() -> None:
    monitor = ModelMonitor(window_s=60)
    for i in range(100):
        monitor.record(
            "nlu", "v1", latency_s=(i + 1) / 1000, confidence=0.9, fallback=i < 10, now=0
        )
    monitor.record("nlu", "v2", latency_s=0.005, confidence=0.5, fallback=True, now=0)
    monitor.record("gen", "v1", latency_s=1.0, now=0)
    v1, v2 = monitor.stats("nlu", now=30)
    assert (v1.version, v1.requests) == ("v1", 100)
    assert v1.latency_p50_ms == pytest.approx(51, abs=1)
    assert v1.latency_p99_ms == pytest.approx(99, abs=1)
    assert v1.mean_confidence == pytest.approx(0.9)
    assert v1.fallback_rate == pytest.approx(0.10)
    assert (v2.version, v2.requests, v2.fallback_rate) == ("v2", 1, 1.0)
    (gen,) = monitor.stats("gen", now=30)
    assert gen.mean_confidence is None and gen.fallback_rate is None


def test_old_samples_leave_the_window() -> None:
    monitor = ModelMonitor(window_s=10)
    monitor.record("nlu", "v1", latency_s=0.1, now=0)
    monitor.record("nlu", "v1", latency_s=0.2, now=8)
    (stats,) = monitor.stats("nlu", now=12)
    assert stats.requests == 1 and stats.latency_p50_ms == pytest.approx(200)
    assert monitor.stats("nlu", now=100) == []
