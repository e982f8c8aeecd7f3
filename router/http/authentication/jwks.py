"""A JWKS kept fresh: loaded from a file or URL, cached, refreshed with back-off.

The last good key set is kept when a refresh fails (endpoint down, garbage
JSON); failed refreshes back off exponentially up to the poll interval. A
token with an unknown `kid` may force a refresh, but at most once per
`min_refresh_interval_s`, so a flood of forged kids cannot hammer the IdP.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from router.settings.auth import JwksSettings

__all__ = ["JwksSource"]

log = logging.getLogger("router.auth")

_MAX_BACKOFF_S = 60.0


class JwksSource:
    def __init__(
        self,
        settings: JwksSettings,
        *,
        min_refresh_interval_s: float = 10.0,
        fetch_timeout_s: float = 5.0,
        http_client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.min_refresh_interval_s = min_refresh_interval_s
        self.fetch_timeout_s = fetch_timeout_s
        self._http = http_client
        self._clock = clock
        self.keys: list[PyJWK] = []
        self.loaded_at: float | None = None
        self.failures = 0
        self.fetches = 0
        self._last_attempt = float("-inf")
        self._next_attempt = float("-inf")
        self._lock = asyncio.Lock()
        self._background: asyncio.Task[None] | None = None
        self._file_mtime: float | None = None

    @property
    def healthy(self) -> bool:
        return bool(self.keys)

    async def current(self) -> list[PyJWK]:
        """The key set, loading it on first use and refreshing it in the background."""
        now = self._clock()
        if not self.keys:
            if now >= self._next_attempt:
                await self.refresh()
        elif self._due(now):
            if self._background is None or self._background.done():
                self._background = asyncio.ensure_future(self.refresh())
        return self.keys

    def _due(self, now: float) -> bool:
        if now < self._next_attempt:
            return False
        if self.settings.file is not None and self._file_changed():
            return True
        return self.loaded_at is None or now - self.loaded_at >= self.settings.poll_interval_s

    async def refresh_for_unknown_kid(self) -> bool:
        """Refresh because a token names a kid we lack; False when rate-limited."""
        now = self._clock()
        if now - self._last_attempt < self.min_refresh_interval_s or now < self._next_attempt:
            return False
        await self.refresh()
        return True

    async def refresh(self) -> None:
        if self._lock.locked():
            async with self._lock:  # someone else is fetching: wait for that result
                return
        async with self._lock:
            self._last_attempt = self._clock()
            self.fetches += 1
            try:
                keys = _parse(await self._load())
            except Exception as exc:
                self.failures += 1
                delay = min(_MAX_BACKOFF_S, self.settings.poll_interval_s, 0.5 * 2**self.failures)
                self._next_attempt = self._clock() + delay
                log.warning(
                    "JWKS %s refresh failed (%s); keeping %d keys, next try in %.1fs",
                    self._where,
                    exc,
                    len(self.keys),
                    delay,
                )
                return
            self.keys = keys
            self.failures = 0
            self.loaded_at = self._clock()
            self._next_attempt = float("-inf")

    @property
    def _where(self) -> str:
        return str(self.settings.url or self.settings.file)

    def _file_changed(self) -> bool:
        assert self.settings.file is not None
        try:
            return self.settings.file.stat().st_mtime != self._file_mtime
        except OSError:
            return False

    async def _load(self) -> bytes:
        if self.settings.file is not None:
            path = self.settings.file
            self._file_mtime = path.stat().st_mtime
            return path.read_bytes()
        assert self.settings.url is not None
        if self._http is not None:
            resp = await self._http.get(self.settings.url, timeout=self.fetch_timeout_s)
        else:
            async with httpx.AsyncClient(timeout=self.fetch_timeout_s) as client:
                resp = await client.get(self.settings.url)
        resp.raise_for_status()
        return resp.content

    async def aclose(self) -> None:
        if self._background is not None and not self._background.done():
            self._background.cancel()


def _parse(raw: bytes) -> list[PyJWK]:
    data: Any = orjson.loads(raw)
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError("not a JWKS document (no 'keys' list)")
    keys = []
    for k in data["keys"]:
        if not isinstance(k, dict) or k.get("use", "sig") != "sig":
            continue
        try:
            keys.append(PyJWK(k))
        except (PyJWKError, ValueError, TypeError, KeyError):
            continue  # unsupported or malformed key: skip it, keep the others
    if not keys:
        raise ValueError("the JWKS holds no usable signing key")
    return keys
