"""The router's lock-free series expose exactly what prometheus_client's own would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram

from router.telemetry.series import CounterSeries, HistogramSeries


def _samples(metrics: list) -> set[tuple[str, tuple, float]]:  # type: ignore[type-arg]
    return {
        (s.name, tuple(sorted(s.labels.items())), round(s.value, 9))
        for m in metrics
        for s in m.samples
        if not s.name.endswith("_created")
    }


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["query", "mutation"]),
            st.floats(min_value=0, max_value=20, allow_nan=False),
        ),
        max_size=40,
    )
)
def test_same_samples_as_prometheus_client(observations: list[tuple[str, float]]) -> None:
    registry = CollectorRegistry()
    ref_hist = Histogram("t_seconds", "doc", ["kind"], registry=registry)
    ref_count = Counter("t", "doc", ["kind"], registry=registry)
    ours_hist = HistogramSeries("t_seconds", "doc", ["kind"])
    ours_count = CounterSeries("t", "doc", ["kind"])
    for kind, value in [*observations, ("query", 0.005), ("query", 10.0)]:  # bounds included
        ref_hist.labels(kind).observe(value)
        ref_count.labels(kind).inc()
        ours_hist.labels(kind).observe(value)
        ours_count.labels(kind).inc()
    assert _samples([ours_hist.family(), ours_count.family()]) == _samples(list(registry.collect()))
