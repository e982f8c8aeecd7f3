"""Hot reload of the supergraph, in two halves that meet at a file.

`chorus dev` runs a `SchemaPoller`: every couple of seconds it asks each
subgraph for `_service { sdl }`, recomposes when one changed and writes the
new supergraph atomically to the file the router was started with. The router
(`chorus router --watch`) runs a `SupergraphFileWatcher` (router/server/watch.py)
on that file and calls `Router.reload`, which swaps an immutable snapshot: requests in flight finish
on the supergraph they started with. A composition error (or a supergraph the
router refuses) keeps the old supergraph and is logged, with its error codes.

`SourceWatcher` notices edits to a subgraph's source files so that `chorus dev`
can restart that subgraph; the SDL poll then picks up the new schema.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import httpx

from router.compose import CompositionError, CompositionResult, SubgraphSource, compose

# the router's half (`chorus router --watch`) lives with the router's server
from router.server.watch import SupergraphFileWatcher as SupergraphFileWatcher
from router.server.watch import WatchLifespan as WatchLifespan

SDL_QUERY = "query SubgraphIntrospectQuery { _service { sdl } }"
# Marks the dev-mode schema poll, which subgraph access logs leave out (it runs every 2 s).
POLL_HEADERS = {"x-chorus-schema-poll": "1"}
SOURCE_SUFFIXES = (".py", ".graphql", ".graphqls", ".gql", ".yaml", ".yml", ".json")

log = logging.getLogger("chorus.reload")

Log = Callable[[str], None]


# ----------------------------------------------------------------------- dev side
async def fetch_sdl(client: httpx.AsyncClient, url: str) -> str:
    """One subgraph's SDL through `_service { sdl }`; raises httpx.HTTPError or ValueError."""
    response = await client.post(url, json={"query": SDL_QUERY}, headers=POLL_HEADERS)
    response.raise_for_status()
    sdl = ((response.json().get("data") or {}).get("_service") or {}).get("sdl")
    if not isinstance(sdl, str):
        raise ValueError(f"{url} answered without `_service.sdl`")
    return sdl


async def fetch_sdls(client: httpx.AsyncClient, urls: Mapping[str, str]) -> dict[str, str]:
    """Every subgraph's SDL, fetched concurrently; the first failure propagates."""
    names = list(urls)
    sdls = await asyncio.gather(*(fetch_sdl(client, urls[n]) for n in names))
    return dict(zip(names, sdls, strict=True))


def compose_sdls(sdls: Mapping[str, str], urls: Mapping[str, str]) -> CompositionResult:
    return compose([SubgraphSource(name, urls[name], sdl) for name, sdl in sdls.items()])


def format_errors(errors: Iterable[CompositionError]) -> list[str]:
    """One `CODE: message` string per error (messages may span lines)."""
    return [f"{e.code}: {e.message}" for e in errors]


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` in one rename, so a watcher never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class PollResult(enum.Enum):
    UNCHANGED = "unchanged"
    UNREACHABLE = "unreachable"
    RECOMPOSED = "recomposed"
    FAILED = "failed"


class SchemaPoller:
    """Recomposes the supergraph file when a subgraph's served SDL changes.

    `current` holds the SDLs the file was composed from; a change that does not
    compose is logged once and remembered, so it is not retried every poll.
    """

    def __init__(
        self,
        urls: Mapping[str, str],
        supergraph_path: Path,
        log: Log,
        current: Mapping[str, str] | None = None,
    ) -> None:
        self.urls = dict(urls)
        self.path = supergraph_path
        self.log = log
        self.current: dict[str, str] | None = dict(current) if current is not None else None
        self.failed: dict[str, str] | None = None
        self.last_errors: list[CompositionError] = []
        self._unreachable: str | None = None

    async def poll(self, client: httpx.AsyncClient) -> PollResult:
        try:
            sdls = await fetch_sdls(client, self.urls)
        except (httpx.HTTPError, ValueError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            if reason != self._unreachable:
                self.log(f"cannot read every subgraph's SDL ({reason}); supergraph kept")
            self._unreachable = reason
            return PollResult.UNREACHABLE
        self._unreachable = None
        if sdls == self.current:
            return PollResult.UNCHANGED
        if sdls == self.failed:
            return PollResult.FAILED
        changed = sorted(n for n in sdls if self.current is None or self.current.get(n) != sdls[n])
        result = compose_sdls(sdls, self.urls)
        if result.supergraph_sdl is None:
            self.failed = sdls
            self.last_errors = list(result.errors)
            lines = "\n".join(f"  {line}" for line in format_errors(result.errors))
            self.log(
                f"schema change in {', '.join(changed)} does not compose; "
                f"the router keeps the previous supergraph:\n{lines}"
            )
            return PollResult.FAILED
        write_atomically(self.path, result.supergraph_sdl)
        self.current, self.failed, self.last_errors = sdls, None, []
        self.log(f"schema change in {', '.join(changed)}: recomposed {self.path}")
        return PollResult.RECOMPOSED

    async def run(
        self, stop: asyncio.Event, interval: float = 2.0, wake: asyncio.Event | None = None
    ) -> None:
        """Poll every `interval` seconds, or at once when `wake` is set, until `stop` is."""
        wake = wake or asyncio.Event()
        async with httpx.AsyncClient(timeout=min(10.0, interval * 5)) as client:
            while not stop.is_set():
                wake.clear()
                await self.poll(client)
                waits = [asyncio.ensure_future(e.wait()) for e in (stop, wake)]
                try:
                    await asyncio.wait(waits, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waits:
                        waiter.cancel()


class SourceWatcher:
    """Notices added, removed or modified source files under some folders."""

    def __init__(self, roots: Iterable[Path], suffixes: tuple[str, ...] = SOURCE_SUFFIXES) -> None:
        self.roots = [Path(r) for r in roots]
        self.suffixes = suffixes
        self.state = self.snapshot()

    def snapshot(self) -> dict[Path, tuple[int, int]]:
        seen: dict[Path, tuple[int, int]] = {}
        for root in self.roots:
            for path in root.rglob("*"):
                if path.suffix not in self.suffixes or "__pycache__" in path.parts:
                    continue
                try:
                    st = path.stat()
                except OSError:
                    continue
                seen[path] = (st.st_mtime_ns, st.st_size)
        return seen

    def changed(self) -> list[Path]:
        """Files changed since the last call (empty if none)."""
        now = self.snapshot()
        paths = sorted(p for p in now.keys() | self.state.keys() if now.get(p) != self.state.get(p))
        self.state = now
        return paths
