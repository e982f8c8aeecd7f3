"""Subgraph traffic settings: timeouts, retries, breakers, dedup, caps, rate limit, headers."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "BreakerSettings",
    "HeaderRule",
    "HeaderSettings",
    "RateLimitSettings",
    "RetrySettings",
    "SubgraphTraffic",
    "SubgraphTrafficOverride",
    "TrafficSettings",
]

_FROZEN = ConfigDict(extra="forbid", frozen=True)

#: never propagated, inserted or renamed to: hop-by-hop or owned by the HTTP client
FORBIDDEN_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "accept",
        "accept-encoding",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9a-z-]+$")


def _regex(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None


def _header_name(name: str) -> str:
    low = name.strip().lower()
    if not _TOKEN.match(low):
        raise ValueError(f"invalid header name {name!r}")
    if low in FORBIDDEN_HEADERS:
        raise ValueError(f"header {low!r} cannot be propagated or inserted")
    return low


class RetrySettings(BaseModel):
    """Retries for queries only (a mutation is never retried), with jittered back-off.

    Every retry must also end its wait before the request's deadline and fit the budget.
    """

    model_config = _FROZEN

    enabled: bool = Field(default=False, description="Retry failed subgraph queries.")
    max_retries: int = Field(default=2, ge=0, le=10, description="Retries after the first try.")
    backoff_base_s: float = Field(
        default=0.05, gt=0, description="Back-off before retry n is uniform in [0, base*2^n]."
    )
    backoff_max_s: float = Field(default=1.0, gt=0, description="Cap of one back-off delay.")
    on_status: tuple[int, ...] = Field(
        default=(502, 503, 504), description="HTTP statuses that are retried."
    )
    on_connection_error: bool = Field(default=True, description="Retry refused/reset connections.")
    on_timeout: bool = Field(
        default=False, description="Retry after a timeout (off: the time is already spent)."
    )
    on_429: bool = Field(
        default=False, description="Retry 429, waiting `Retry-After` (at most max_retry_after_s)."
    )
    max_retry_after_s: float = Field(
        default=2.0, ge=0, description="A longer `Retry-After` is not waited for: no retry."
    )
    on_503_with_retry_after: bool = Field(
        default=True,
        description="With retries off, a query answered 503 with `Retry-After` (seconds or an "
        "HTTP date) is still retried once after that wait, if the wait is within "
        "max_retry_after_s and ends before the request's deadline.",
    )
    budget_ratio: float = Field(
        default=0.2,
        ge=0,
        description="Retry budget: retries may add this fraction of the requests of the last "
        "10 s (plus budget_min_per_s), so retries cannot multiply load on a failing subgraph.",
    )
    budget_min_per_s: float = Field(
        default=2.0, ge=0, description="Retries per second always allowed by the budget."
    )


class BreakerSettings(BaseModel):
    """Per-subgraph circuit breaker over a rolling window of call outcomes."""

    model_config = _FROZEN

    enabled: bool = Field(default=True, description="Fail fast while a subgraph is down.")
    window_s: float = Field(default=10.0, gt=0, description="Rolling window of outcomes.")
    min_requests: int = Field(
        default=20, ge=1, description="Calls in the window before the breaker may open."
    )
    failure_ratio: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Open when failures/calls in the window reach this (failures: timeouts, "
        "connection errors, HTTP 5xx, bodies that are not GraphQL).",
    )
    open_s: float = Field(
        default=5.0, gt=0, description="Fail fast this long, then let probes through."
    )
    half_open_probes: int = Field(
        default=1, ge=1, description="Concurrent probe calls while half-open; success closes."
    )


class _TrafficFields(BaseModel):
    model_config = _FROZEN


class SubgraphTraffic(_TrafficFields):
    timeout_s: float | None = Field(
        default=None, gt=0, description="Per call; default: RouterSettings.subgraph_timeout_s."
    )
    max_concurrency: int | None = Field(
        default=None, gt=0, description="Calls in flight to the subgraph; more wait their turn."
    )
    dedup: bool = Field(
        default=True,
        description="Identical queries in flight (same body and propagated headers) share one "
        "call. Mutations are never deduplicated.",
    )
    max_response_bytes: int = Field(
        default=50_000_000, gt=0, description="Larger subgraph responses are an error."
    )
    retry: RetrySettings = Field(default_factory=RetrySettings)
    breaker: BreakerSettings = Field(default_factory=BreakerSettings)


class SubgraphTrafficOverride(_TrafficFields):
    """Per-subgraph overrides of `all`; a field left out keeps the `all` value."""

    timeout_s: float | None = Field(default=None, gt=0)
    max_concurrency: int | None = Field(default=None, gt=0)
    dedup: bool | None = None
    max_response_bytes: int | None = Field(default=None, gt=0)
    retry: RetrySettings | None = None
    breaker: BreakerSettings | None = None


class PropagateRule(BaseModel):
    model_config = _FROZEN
    named: str | None = Field(default=None, description="Client header to copy.")
    matching: str | None = Field(default=None, description="Regex over client header names.")
    rename: str | None = Field(default=None, description="Name sent to the subgraph (named only).")
    default: str | None = Field(default=None, description="Value when the client sent none.")

    @model_validator(mode="after")
    def _one(self) -> PropagateRule:
        if (self.named is None) == (self.matching is None):
            raise ValueError("propagate needs exactly one of 'named' or 'matching'")
        if self.matching is not None:
            _regex(self.matching)
            if self.rename is not None or self.default is not None:
                raise ValueError("'rename'/'default' go with 'named' only")
        return self

    @field_validator("named", "rename")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else _header_name(v)

    @field_validator("default")
    @classmethod
    def _value(cls, v: str | None) -> str | None:
        return None if v is None else _header_value(v)


class InsertRule(BaseModel):
    model_config = _FROZEN
    name: str
    value: str

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return _header_name(v)

    @field_validator("value")
    @classmethod
    def _value(cls, v: str) -> str:
        return _header_value(v)


class RemoveRule(BaseModel):
    model_config = _FROZEN
    named: str | None = None
    matching: str | None = None

    @model_validator(mode="after")
    def _one(self) -> RemoveRule:
        if (self.named is None) == (self.matching is None):
            raise ValueError("remove needs exactly one of 'named' or 'matching'")
        if self.matching is not None:
            _regex(self.matching)
        return self


def _header_value(v: str) -> str:
    if "\r" in v or "\n" in v or "\x00" in v:
        raise ValueError("header values cannot contain CR, LF or NUL")
    return v


class HeaderRule(BaseModel):
    """One of `propagate`, `insert`, `remove` (Apollo's header rules), applied in order."""

    model_config = _FROZEN
    propagate: PropagateRule | None = None
    insert: InsertRule | None = None
    remove: RemoveRule | None = None

    @model_validator(mode="after")
    def _one(self) -> HeaderRule:
        if sum(x is not None for x in (self.propagate, self.insert, self.remove)) != 1:
            raise ValueError("a header rule is exactly one of propagate, insert, remove")
        return self


class HeaderSettings(BaseModel):
    """What the router sends a subgraph besides its own headers: nothing by default but
    the W3C trace context."""

    model_config = _FROZEN
    trace_context: bool = Field(
        default=True, description="Propagate `traceparent` and `tracestate`."
    )
    all: tuple[HeaderRule, ...] = Field(default=(), description="Rules for every subgraph.")
    subgraphs: dict[str, tuple[HeaderRule, ...]] = Field(
        default_factory=dict, description="Rules per subgraph name, applied after `all`."
    )


class RateLimitSettings(BaseModel):
    """Token bucket per client; each operation of a batch takes a token."""

    model_config = _FROZEN
    capacity: int = Field(gt=0, description="Operations a client may send in a burst.")
    interval_s: float = Field(
        default=1.0, gt=0, description="Time in which `capacity` tokens are refilled."
    )
    key_header: str | None = Field(
        default=None,
        description="Client key from this request header (e.g. an API key); "
        "requests without it are keyed by client IP.",
    )
    max_clients: int = Field(
        default=100_000, gt=0, description="Buckets kept (least recently used go first)."
    )


class TrafficSettings(BaseModel):
    model_config = _FROZEN

    router_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Whole-request deadline (504 GATEWAY_TIMEOUT); must exceed every subgraph "
        "timeout.",
    )
    all: SubgraphTraffic = Field(default_factory=SubgraphTraffic)
    subgraphs: dict[str, SubgraphTrafficOverride] = Field(
        default_factory=dict, description="Overrides per subgraph name."
    )
    rate_limit: RateLimitSettings | None = Field(
        default=None, description="Per-client rate limit (429 with Retry-After); off by default."
    )
    headers: HeaderSettings = Field(default_factory=HeaderSettings)

    def for_subgraph(self, name: str) -> SubgraphTraffic:
        o = self.subgraphs.get(name)
        if o is None:
            return self.all
        update = {k: v for k, v in o.model_dump(exclude_none=True).items()}
        for k in ("retry", "breaker"):
            if getattr(o, k) is not None:
                update[k] = getattr(o, k)
        return self.all.model_copy(update=update)
