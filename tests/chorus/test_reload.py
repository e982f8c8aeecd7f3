"""The small pieces of hot reload, each on its own: file watches, atomic writes, lifespan."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from chorus.dev import source_root
from chorus.reload import (
    PollResult,
    SchemaPoller,
    SourceWatcher,
    SupergraphFileWatcher,
    WatchLifespan,
    format_errors,
    write_atomically,
)
from router.compose import CompositionError


def test_source_watcher_sees_edits_additions_and_removals(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "schema.py").write_text("A = 1\n")
    (pkg / "notes.txt").write_text("ignored")
    watcher = SourceWatcher([pkg])
    assert watcher.changed() == []
    (pkg / "schema.py").write_text("A = 22\n")  # size changes even if mtime is coarse
    assert watcher.changed() == [pkg / "schema.py"]
    assert watcher.changed() == []
    (pkg / "notes.txt").write_text("still ignored")
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "x.py").write_text("")
    assert watcher.changed() == []
    (pkg / "types.graphql").write_text("type A { a: Int }")
    (pkg / "schema.py").unlink()
    assert watcher.changed() == [pkg / "schema.py", pkg / "types.graphql"]


def test_file_watcher_reloads_on_new_content_and_keeps_the_old_on_error(tmp_path: Path) -> None:
    path = tmp_path / "supergraph.graphql"
    path.write_text("v1")
    loaded: list[str] = []

    def reload(sdl: str) -> None:
        if "bad" in sdl:
            raise ValueError("not a supergraph")
        loaded.append(sdl)

    watcher = SupergraphFileWatcher(path, reload, "v1")
    assert watcher.check() is None
    os.utime(path)  # touched, same content: nothing to do
    assert watcher.check() is None
    path.write_text("v2")
    assert watcher.check() is True
    path.write_text("bad v3")
    assert watcher.check() is False
    assert watcher.check() is None  # the rejected content is not retried every tick
    path.unlink()
    assert watcher.check() is None  # a missing file (mid-deploy) is not an error
    path.write_text("v4")
    assert watcher.check() is True
    assert loaded == ["v2", "v4"]


def test_write_atomically_replaces_without_leaving_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "supergraph.graphql"
    write_atomically(target, "one")
    write_atomically(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["supergraph.graphql"]


def test_format_errors_gives_code_then_message() -> None:
    errors = [CompositionError("FIELD_TYPE_MISMATCH", 'Type of field "T.a" is incompatible')]
    assert format_errors(errors) == ['FIELD_TYPE_MISMATCH: Type of field "T.a" is incompatible']


async def test_watch_lifespan_runs_the_task_between_startup_and_shutdown() -> None:
    ticks: list[int] = []
    inner_messages: list[str] = []

    async def inner(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        while True:
            message = await receive()
            inner_messages.append(message["type"])
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def task() -> None:
        while True:
            ticks.append(1)
            await asyncio.sleep(0.01)

    app = WatchLifespan(inner, task)
    incoming: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    sent: list[str] = []

    async def send(message) -> None:  # type: ignore[no-untyped-def]
        sent.append(message["type"])

    await incoming.put({"type": "lifespan.startup"})
    serving = asyncio.create_task(app({"type": "lifespan"}, incoming.get, send))
    await asyncio.sleep(0.1)
    assert app.task is not None and not app.task.done() and ticks
    await incoming.put({"type": "lifespan.shutdown"})
    await asyncio.wait_for(serving, 2)
    assert app.task is None
    count = len(ticks)
    await asyncio.sleep(0.05)
    assert len(ticks) == count  # stopped
    assert inner_messages == ["lifespan.startup", "lifespan.shutdown"]
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_source_root_finds_the_folder_of_a_subgraph_package() -> None:
    root = source_root("subgraphs.kit.app:create_app")
    assert root is not None and (root / "app.py").is_file()
    assert source_root("no_such_package.app:create_app") is None


async def test_schema_poller_run_polls_on_its_interval_at_once_when_woken_and_stops(
    tmp_path: Path,
) -> None:
    class Counting(SchemaPoller):
        calls = 0

        async def poll(self, client):  # type: ignore[no-untyped-def]
            Counting.calls += 1
            return PollResult.UNCHANGED

    poller = Counting({}, tmp_path / "s.graphql", print)
    stop, wake = asyncio.Event(), asyncio.Event()
    running = asyncio.create_task(poller.run(stop, interval=30.0, wake=wake))
    await asyncio.sleep(0.1)
    assert Counting.calls == 1  # first poll at once, next one not before 30 s…
    wake.set()
    await asyncio.sleep(0.1)
    assert Counting.calls == 2  # …unless woken (after a subgraph restart)
    stop.set()
    await asyncio.wait_for(running, 2)
    assert Counting.calls == 2
