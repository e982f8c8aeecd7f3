"""Traffic policies as a built-in plugin: the layers it wraps around each subgraph's transport.

`TrafficPolicyPlugin.subgraph_transport` is called once per subgraph client
(never per request) and returns, outermost as a call meets them:

  DedupLayer        identical queries in flight share one call (dedup.py)        traffic.dedup
  RetryLayer        queries only, back-off, budget, deadline (retry.py)          see below
  BreakerLayer      fail fast while the subgraph is down (breaker.py)            breaker.enabled
  TimeoutLayer      per attempt, waiting for the cap included (timeout.py)
  ConcurrencyLayer  calls in flight to the subgraph (concurrency.py)             max_concurrency
  transport         what it was given

A layer whose setting is off is left out, so it costs nothing. The retry layer
is there when `retry.enabled` or `retry.on_503_with_retry_after` (the default).
"""

from __future__ import annotations

import asyncio

from router.plugins import Plugin
from router.plugins.transport import RawResponse, Transport
from router.settings import RouterSettings
from router.settings.traffic import SubgraphTraffic
from router.subgraph_call.breaker import BreakerLayer, CircuitBreaker
from router.subgraph_call.concurrency import ConcurrencyLayer
from router.subgraph_call.dedup import DedupLayer, InFlight
from router.subgraph_call.retry import RetryBudget, RetryLayer
from router.subgraph_call.timeout import TimeoutLayer

__all__ = ["SubgraphPolicy", "TrafficPolicyPlugin"]


class SubgraphPolicy:
    """What a subgraph's layers share across the stacks of its URLs: breaker state, calls
    in flight, retry budget and concurrency slots survive a reload that moves it."""

    def __init__(self, name: str, traffic: SubgraphTraffic, timeout_s: float) -> None:
        self.name = name
        self.traffic = traffic
        self.timeout_s = traffic.timeout_s or timeout_s
        self.breaker = CircuitBreaker(traffic.breaker) if traffic.breaker.enabled else None
        retry = traffic.retry
        self.budget = RetryBudget(retry.budget_ratio, retry.budget_min_per_s)
        self.slots = asyncio.Semaphore(traffic.max_concurrency) if traffic.max_concurrency else None
        self.inflight: InFlight[RawResponse] = InFlight()

    def compose(self, transport: Transport) -> Transport:
        """The policy's layers over `transport` (innermost layer first)."""
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
        return transport


class TrafficPolicyPlugin(Plugin):
    """`traffic:` of router.yaml (per subgraph over `all`): one `SubgraphPolicy` per
    subgraph name, so a breaker's state survives any reload."""

    def __init__(self, settings: RouterSettings) -> None:
        super().__init__(settings.traffic)
        self.settings = settings
        self.policies: dict[str, SubgraphPolicy] = {}

    def policy(self, subgraph: str) -> SubgraphPolicy:
        """The traffic policy of a subgraph (one per name: breakers survive reloads)."""
        p = self.policies.get(subgraph)
        if p is None:
            p = self.policies[subgraph] = SubgraphPolicy(
                subgraph,
                self.settings.traffic.for_subgraph(subgraph),
                self.settings.subgraph_timeout_s,
            )
        return p

    def max_response_bytes(self, subgraph: str) -> int:
        """The answer size the innermost transport reads at most."""
        return self.policy(subgraph).traffic.max_response_bytes

    def subgraph_transport(self, subgraph: str, transport: Transport) -> Transport:
        return self.policy(subgraph).compose(transport)
