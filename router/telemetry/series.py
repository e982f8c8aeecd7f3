"""Lock-free counters and histograms for the router's per-request Prometheus series.

prometheus_client guards every value with a `threading.Lock`; the router
records five values per federated request from one event-loop thread, and
those locks and wrappers cost about 4 % of its CPU (py-spy, bench/router).
These series keep plain numbers, updated only from the event loop, and a
collector registered with prometheus_client's registry turns them into the
same metric families at scrape time (`/metrics` output is unchanged:
`*_total` counters, cumulative `*_bucket` histograms with the default buckets).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.metrics import Histogram as _PromHistogram

__all__ = ["CounterSeries", "HistogramSeries", "register"]

DEFAULT_BUCKETS: tuple[float, ...] = tuple(
    b for b in _PromHistogram.DEFAULT_BUCKETS if b != float("inf")
)


class _Counter:
    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0.0

    def inc(self, amount: float = 1.0) -> None:
        self.value += amount


class _Histogram:
    __slots__ = ("_bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self._bounds = bounds
        #: per bucket (not cumulative), the last one is +Inf
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self._bounds, value)] += 1
        self.sum += value


C = TypeVar("C", _Counter, _Histogram)


class _Series(Generic[C]):
    """A labelled family (a prometheus_client collector); `labels(*values)` is the child to
    update (cache it)."""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str]) -> None:
        self.name = name
        self.documentation = documentation
        self.labelnames = tuple(labelnames)
        self._children: dict[tuple[str, ...], C] = {}

    def _new_child(self) -> C:
        raise NotImplementedError

    def labels(self, *values: str) -> C:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self._new_child()
        return child

    def collect(self) -> Iterator[Metric]:
        yield self.family()

    def family(self) -> Metric:
        raise NotImplementedError


class CounterSeries(_Series[_Counter]):
    """Children `inc()`."""

    def _new_child(self) -> _Counter:
        return _Counter()

    def family(self) -> Metric:
        fam = CounterMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for values, child in list(self._children.items()):
            fam.add_metric(list(values), child.value)
        return fam


class HistogramSeries(_Series[_Histogram]):
    """Children `observe()`; cumulative buckets at scrape time."""

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        buckets: tuple[float, ...] = DEFAULT_BUCKETS,
    ) -> None:
        super().__init__(name, documentation, labelnames)
        self.buckets = buckets

    def _new_child(self) -> _Histogram:
        return _Histogram(self.buckets)

    def family(self) -> Metric:
        fam = HistogramMetricFamily(self.name, self.documentation, labels=self.labelnames)
        for values, child in list(self._children.items()):
            cumulative: list[tuple[str, float]] = []
            total = 0
            for bound, n in zip((*self.buckets, float("inf")), list(child.counts), strict=True):
                total += n
                cumulative.append((_le(bound), total))
            fam.add_metric(list(values), cumulative, child.sum)
        return fam


def _le(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(float(bound))


def register(*series: CounterSeries | HistogramSeries) -> None:
    """Expose `series` on prometheus_client's default registry (what /metrics serves)."""
    for one in series:
        REGISTRY.register(one)
