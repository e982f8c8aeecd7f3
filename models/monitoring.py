"""Per-version model statistics over a recent window, for comparing a candidate with production.

Prometheus keeps the long history; this keeps the last few minutes in memory so a
GraphQL field (`modelStats`) can answer "how is version X doing right now" without
a metrics stack: request count, latency percentiles, mean confidence, fallback rate.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class VersionStats:
    name: str
    version: str
    requests: int
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    mean_confidence: float | None
    fallback_rate: float | None
    window_s: float


@dataclass(frozen=True)
class _Sample:
    at: float
    latency_s: float
    confidence: float | None
    fallback: bool | None


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


class ModelMonitor:
    """Thread-safe rolling window of samples per (model name, version)."""

    def __init__(self, window_s: float = 300.0, max_samples: int = 10_000) -> None:
        self.window_s = window_s
        self.max_samples = max_samples
        self._samples: dict[tuple[str, str], deque[_Sample]] = defaultdict(deque)
        self._lock = threading.Lock()

    def record(
        self,
        name: str,
        version: str,
        *,
        latency_s: float,
        confidence: float | None = None,
        fallback: bool | None = None,
        now: float | None = None,
    ) -> None:
        sample = _Sample(
            now if now is not None else time.monotonic(), latency_s, confidence, fallback
        )
        with self._lock:
            samples = self._samples[(name, version)]
            samples.append(sample)
            while len(samples) > self.max_samples:
                samples.popleft()

    def stats(self, name: str, now: float | None = None) -> list[VersionStats]:
        """One entry per version of `name` seen within the window, newest samples only."""
        now = now if now is not None else time.monotonic()
        cutoff = now - self.window_s
        out = []
        with self._lock:
            keys = [k for k in self._samples if k[0] == name]
            for key in sorted(keys, key=lambda k: k[1]):
                samples = self._samples[key]
                while samples and samples[0].at < cutoff:
                    samples.popleft()
                recent = list(samples)
                if not recent:
                    continue
                latencies = sorted(s.latency_s * 1000 for s in recent)
                confidences = [s.confidence for s in recent if s.confidence is not None]
                fallbacks = [s.fallback for s in recent if s.fallback is not None]
                out.append(
                    VersionStats(
                        name=name,
                        version=key[1],
                        requests=len(recent),
                        latency_p50_ms=_percentile(latencies, 0.50),
                        latency_p95_ms=_percentile(latencies, 0.95),
                        latency_p99_ms=_percentile(latencies, 0.99),
                        mean_confidence=sum(confidences) / len(confidences)
                        if confidences
                        else None,
                        fallback_rate=sum(fallbacks) / len(fallbacks) if fallbacks else None,
                        window_s=self.window_s,
                    )
                )
        return out


MONITOR = ModelMonitor()
"""The process-wide monitor the subgraphs record into."""
