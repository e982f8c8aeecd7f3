"""A subgraph's call stack, composed once from its settings: layers over a transport.

outermost, as a call meets them:

  HeadersLayer      client headers the propagation rules send (headers.py)
  HooksLayer        `subgraph_request` / `subgraph_response` plugins (hooks.py)  if any
  DedupLayer        identical queries in flight share one call (dedup.py)        traffic.dedup
  RetryLayer        queries only, back-off, budget, deadline (retry.py)          see below
  BreakerLayer      fail fast while the subgraph is down (breaker.py)            breaker.enabled
  TimeoutLayer      per attempt, waiting for the cap included (timeout.py)
  ConcurrencyLayer  calls in flight to the subgraph (concurrency.py)             max_concurrency
  transport         Http1Transport, or what the registry was given (transport.py)

A layer whose setting is off is left out, so it costs nothing. The retry layer
is there when `retry.enabled` or `retry.on_503_with_retry_after` (the default).
"""

from __future__ import annotations

import asyncio

from router.plugins import PluginChain
from router.settings.traffic import SubgraphTraffic
from router.subgraph_call.breaker import BreakerLayer, CircuitBreaker
from router.subgraph_call.concurrency import ConcurrencyLayer
from router.subgraph_call.dedup import DedupLayer, InFlight
from router.subgraph_call.headers import HeaderPropagation, HeadersLayer
from router.subgraph_call.hooks import HooksLayer
from router.subgraph_call.retry import RetryBudget, RetryLayer
from router.subgraph_call.timeout import TimeoutLayer
from router.subgraph_call.transport import RawResponse, Transport

__all__ = ["SubgraphPolicy"]


class SubgraphPolicy:
    """What a subgraph's layers share across the stacks of its URLs: breaker state, calls
    in flight, retry budget and concurrency slots survive a reload that moves it."""

    def __init__(
        self,
        name: str,
        traffic: SubgraphTraffic,
        headers: HeaderPropagation,
        timeout_s: float,
    ) -> None:
        self.name = name
        self.traffic = traffic
        self.headers = headers
        self.timeout_s = traffic.timeout_s or timeout_s
        self.breaker = CircuitBreaker(traffic.breaker) if traffic.breaker.enabled else None
        retry = traffic.retry
        self.budget = RetryBudget(retry.budget_ratio, retry.budget_min_per_s)
        self.slots = asyncio.Semaphore(traffic.max_concurrency) if traffic.max_concurrency else None
        self.inflight: InFlight[RawResponse] = InFlight()

    def compose(self, transport: Transport, url: str, plugins: PluginChain) -> Transport:
        """The stack over `transport` (innermost layer first)."""
        t = self.traffic
        if self.slots is not None:
            transport = ConcurrencyLayer(transport, self.slots)
        transport = TimeoutLayer(transport, self.timeout_s, self.name)
        if self.breaker is not None:
            transport = BreakerLayer(transport, self.breaker, self.name)
        if t.retry.enabled or t.retry.on_503_with_retry_after:
            transport = RetryLayer(transport, t.retry, self.budget, self.name)
        if t.dedup:
            transport = DedupLayer(transport, self.inflight)
        if plugins.subgraph_request or plugins.subgraph_response:
            transport = HooksLayer(
                transport, self.name, url, plugins.subgraph_request, plugins.subgraph_response
            )
        return HeadersLayer(transport, self.headers, self.name)
