"""Timeouts for the router's many short calls: one sweep timer per loop, not a timer each.

`asyncio.timeout` schedules (and cancels) a loop timer for every scope; with a
request deadline and a per-attempt timeout on every subgraph call, that was
7 % of the router's CPU on a two-subgraph join (py-spy, bench/router). Here a
scope only records its deadline; a sweep that runs every `RESOLUTION_S` while
any scope is open cancels the tasks whose deadline has passed, and the scope
turns that cancellation into `TimeoutError` exactly as `asyncio.timeout` does
(a cancellation from elsewhere passes through untouched). A timeout fires up
to `RESOLUTION_S` late, which is nothing next to the seconds-long limits it
enforces.

    with within(2.5):
        await call()        # TimeoutError once 2.5 s have passed
        remaining()         # seconds left before the outermost enclosing deadline

`remaining()` is the outermost scope's (the request's deadline, which per-call
timeouts nest in), read through a context variable, so tasks spawned inside a
scope (parallel fetches) see the deadline of the request that spawned them.
"""

from __future__ import annotations

import asyncio
import math
from contextvars import ContextVar, Token
from types import TracebackType

__all__ = ["RESOLUTION_S", "remaining", "within"]

RESOLUTION_S = 0.02


class _Sweeper:
    """The open scopes of one event loop and the timer that checks them."""

    __slots__ = ("handle", "loop", "scopes")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.scopes: dict[_Scope, None] = {}
        self.handle: asyncio.TimerHandle | None = None

    def sweep(self) -> None:
        self.handle = None
        now = self.loop.time()
        for scope in [s for s in self.scopes if s.when <= now]:
            del self.scopes[scope]
            scope.expire()
        if self.scopes:
            self.handle = self.loop.call_later(RESOLUTION_S, self.sweep)


_sweepers: dict[asyncio.AbstractEventLoop, _Sweeper] = {}

#: loop time of the outermost enclosing deadline (inf: none)
_deadline: ContextVar[float] = ContextVar("router_deadline", default=math.inf)


def _sweeper(loop: asyncio.AbstractEventLoop) -> _Sweeper:
    s = _sweepers.get(loop)
    if s is None:
        for old in [lp for lp in _sweepers if lp.is_closed()]:
            del _sweepers[old]
        s = _sweepers[loop] = _Sweeper(loop)
    return s


class _Scope:
    __slots__ = ("_cancelling", "_expired", "_sweeper", "_task", "_token", "when")

    def __init__(self, seconds: float) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline scope must be used inside a task")
        self._task = task
        loop = task.get_loop()
        self._sweeper = _sweepers.get(loop) or _sweeper(loop)
        self.when = self._sweeper.loop.time() + seconds
        self._expired = False
        self._cancelling = 0
        self._token: Token[float] | None = None

    def __enter__(self) -> _Scope:
        self._cancelling = self._task.cancelling()
        sweeper = self._sweeper
        sweeper.scopes[self] = None  # opened twice per request: no call to add it
        if sweeper.handle is None:
            sweeper.handle = sweeper.loop.call_later(RESOLUTION_S, sweeper.sweep)
        if _deadline.get() == math.inf:  # the outermost scope: the request's deadline
            self._token = _deadline.set(self.when)
        return self

    def expire(self) -> None:
        self._expired = True
        self._task.cancel()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._sweeper.scopes.pop(self, None)
        if self._token is not None:
            _deadline.reset(self._token)
        if (
            self._expired
            and self._task.uncancel() <= self._cancelling
            and exc_type is asyncio.CancelledError
        ):
            raise TimeoutError from exc


def within(seconds: float) -> _Scope:
    """A `with` scope that raises `TimeoutError` if its body runs past `seconds`."""
    return _Scope(seconds)


def remaining() -> float:
    """Seconds before the outermost enclosing `within` scope expires (inf outside any)."""
    when = _deadline.get()
    if when == math.inf:
        return math.inf
    return when - asyncio.get_running_loop().time()
