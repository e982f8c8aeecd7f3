"""`chorus dev`: the whole stack on one machine, GraphiQL ready at the end.

Hot reload: the router runs with `--watch` on its supergraph file. When the
supergraph is composed from the running subgraphs (no `router.supergraph` in
the config), a `SchemaPoller` re-reads every subgraph's `_service { sdl }`
every couple of seconds and rewrites that file when the composition changes;
a change that does not compose is printed with its error codes and the router
keeps serving the previous supergraph. Editing a subgraph's source files
restarts that subgraph, so a schema edit reaches the router without a restart.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape

from chorus.config import ChorusConfig, SubgraphConfig
from chorus.reload import (
    SchemaPoller,
    SourceWatcher,
    compose_sdls,
    fetch_sdls,
    format_errors,
    write_atomically,
)
from chorus.supervisor import Child, Supervisor, python_argv
from models.resources import is_package_spec
from models.resources import resolve as resolve_resource

POLL_INTERVAL_S = 2.0
SOURCE_CHECK_INTERVAL_S = 1.0


def _folder(config: ChorusConfig, directory: Path) -> Path:
    """A `router.static` folder: pkg.module:folder inside a package, or relative to chorus.yaml."""
    if is_package_spec(str(directory)):
        return resolve_resource(str(directory))
    return (config.base_dir / directory).resolve()


def subgraph_urls(config: ChorusConfig) -> dict[str, str]:
    return {name: sub.url for name, sub in config.subgraphs.items()}


async def compose_running(config: ChorusConfig) -> tuple[str, dict[str, str]]:
    """Compose the supergraph from the SDLs the running subgraphs serve (and return those)."""
    urls = subgraph_urls(config)
    async with httpx.AsyncClient(timeout=10.0) as client:
        sdls = await fetch_sdls(client, urls)
    result = compose_sdls(sdls, urls)
    if result.errors or result.supergraph_sdl is None:
        lines = "\n".join(f"  {line}" for line in format_errors(result.errors))
        raise RuntimeError(f"the subgraphs do not compose:\n{lines}")
    return result.supergraph_sdl, sdls


def source_root(app: str) -> Path | None:
    """The folder (or file) holding a subgraph's code, from `module:function`."""
    module = app.partition(":")[0]
    package = module.rpartition(".")[0] or module
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin) if spec.origin else None


@dataclass
class _Stack:
    """The running children; a subgraph being restarted (or broken) is not 'dead'."""

    supervisor: Supervisor
    config: ChorusConfig
    console: Console
    env: dict[str, str]
    ready_timeout: float
    subgraphs: dict[str, Child] = field(default_factory=dict)
    router: Child | None = None
    restarting: set[str] = field(default_factory=set)
    broken: set[str] = field(default_factory=set)
    restarted: asyncio.Event = field(default_factory=asyncio.Event)  # wakes the SDL poll

    async def start_subgraph(self, name: str, sub: SubgraphConfig) -> Child:
        child = await self.supervisor.start(
            name,
            python_argv("subgraph", name, "--port", str(sub.port), "--host", sub.host),
            env={**self.env, **sub.env},
        )
        self.subgraphs[name] = child
        return child

    async def wait_ready(self, name: str, sub: SubgraphConfig) -> None:
        url = f"http://{sub.host}:{sub.port}/ready"
        await self.supervisor.wait_http(self.subgraphs[name], url, self.ready_timeout)

    def dead(self) -> list[Child]:
        live = [c for n, c in self.subgraphs.items() if n not in self.restarting | self.broken]
        if self.router is not None:
            live.append(self.router)
        return [c for c in live if c.process and c.process.returncode is not None]

    async def restart(self, name: str, changed: list[Path], reason: str | None = None) -> None:
        sub = self.config.subgraphs[name]
        shown = ", ".join(p.name for p in changed[:3]) + ("…" if len(changed) > 3 else "")
        why = reason or f"{shown} changed"
        self.console.print(f"[yellow]{name}: {why}; restarting[/yellow]")
        self.restarting.add(name)
        try:
            await _stop_child(self.subgraphs[name])
            await self.start_subgraph(name, sub)
            await self.wait_ready(name, sub)
            self.broken.discard(name)
            self.restarted.set()
            self.console.print(f"[green]{name} restarted[/green]")
        except (RuntimeError, TimeoutError) as exc:
            self.broken.add(name)
            self.console.print(
                f"[red]{name} did not come back ({escape(str(exc))}); fix it and save[/red]"
            )
        finally:
            self.restarting.discard(name)


async def _restart_after(stack: _Stack, name: str, reason: str, delay: float = 1.0) -> None:
    await asyncio.sleep(delay)
    await stack.restart(name, [], reason=reason)


async def _stop_child(child: Child, grace: float = 10.0) -> None:
    process = child.process
    if process is None or process.returncode is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            await asyncio.wait_for(process.wait(), grace)
            return
        except TimeoutError:
            continue


def source_watchers(config: ChorusConfig) -> dict[str, SourceWatcher]:
    """One watcher per subgraph whose code is found; taken before the subgraphs start,
    so that an edit made while the stack comes up still restarts its subgraph."""
    watchers: dict[str, SourceWatcher] = {}
    for name, sub in config.subgraphs.items():
        root = source_root(sub.app)
        if root is not None:
            watchers[name] = SourceWatcher([root])
    return watchers


async def watch_sources(
    stack: _Stack, watchers: dict[str, SourceWatcher], stop: asyncio.Event
) -> None:
    """Restart a subgraph whose source files changed."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), SOURCE_CHECK_INTERVAL_S)
        except TimeoutError:
            pass
        for name, watcher in watchers.items():
            changed = await asyncio.to_thread(watcher.changed)
            if changed and not stop.is_set():
                await stack.restart(name, changed)


async def run_stack(
    config: ChorusConfig,
    console: Console,
    ready_timeout: float = 300.0,
    hot_reload: bool = True,
) -> int:
    """Start subgraphs, compose, start the router; run until SIGINT/SIGTERM."""
    supervisor = Supervisor(console)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stack = _Stack(supervisor, config, console, config.process_env(), ready_timeout)
    background: list[asyncio.Task[None]] = []
    code = 0
    try:
        watchers = await asyncio.to_thread(source_watchers, config) if hot_reload else {}
        for name, sub in config.subgraphs.items():
            await stack.start_subgraph(name, sub)
        await _until_stopped(_all_ready(stack), stop)
        if stop.is_set():
            return 0
        supergraph = config.router.supergraph
        poller: SchemaPoller | None = None
        if supergraph is None:
            supergraph = config.data_dir / "supergraph.graphql"
            sdl, sdls = await compose_running(config)
            write_atomically(supergraph, sdl)
            poller = SchemaPoller(
                subgraph_urls(config),
                supergraph,
                lambda line: console.print(f"[bold]reload[/bold] | {escape(line)}", soft_wrap=True),
                current=sdls,
            )
        argv = ["router", "--supergraph", str(Path(supergraph).resolve())]
        argv += ["--port", str(config.router.port), "--host", config.router.host, "--dev"]
        for prefix, directory in config.router.static.items():
            argv += ["--static", f"{prefix}={_folder(config, directory)}"]
        if config.router.config is not None:
            argv += ["--router-config", str((config.base_dir / config.router.config).resolve())]
        if config.router.graphiql_query is not None:
            argv += ["--graphiql-query", str(Path(config.router.graphiql_query).resolve())]
        if hot_reload:
            argv.append("--watch")
        stack.router = await supervisor.start("router", python_argv(*argv), env=stack.env)
        base = f"http://{config.router.host}:{config.router.port}"
        await _until_stopped(supervisor.wait_http(stack.router, f"{base}/health", 60.0), stop)
        if stop.is_set():
            return 0
        if hot_reload:
            if poller is not None:
                background.append(
                    asyncio.create_task(poller.run(stop, POLL_INTERVAL_S, stack.restarted))
                )
            background.append(asyncio.create_task(watch_sources(stack, watchers, stop)))
        console.print(f"\n[bold green]Chorus is up.[/bold green] GraphiQL: {base}/graphql")
        for prefix in config.router.static:
            console.print(f"  {prefix.strip('/'):<11} {base}{prefix}/")
        for name, sub in config.subgraphs.items():
            console.print(f"  {name:<11} {sub.url}")
        if hot_reload:
            console.print("Hot reload is on: schema changes recompose the supergraph.")
        console.print("Press Ctrl-C to stop.\n")
        while not stop.is_set():
            dead = stack.dead()
            if stack.router is not None and stack.router in dead:
                console.print("[red]the router stopped unexpectedly; shutting down[/red]")
                code = 1
                break
            for child in dead:
                # A crashed subgraph is restarted; meanwhile the router answers with
                # partial data and errors for the fields it owns.
                code_ = child.process.returncode if child.process else None
                stack.restarting.add(child.name)
                background.append(
                    asyncio.create_task(
                        _restart_after(stack, child.name, f"exited with code {code_}")
                    )
                )
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass
    except (RuntimeError, TimeoutError, httpx.HTTPError, ValueError) as exc:
        console.print(f"[red]chorus dev: {escape(str(exc))}[/red]")
        code = 1
    finally:
        stop.set()
        for task in background:
            task.cancel()
        for task in background:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        console.print("stopping…")
        await supervisor.stop()
        console.print("stopped.")
    return code


async def _all_ready(stack: _Stack) -> None:
    """Wait for every subgraph; the first that fails (dies, times out, or reports a
    permanent start-up error) stops the others' waits and is raised as it is."""
    try:
        async with asyncio.TaskGroup() as group:
            for name, sub in stack.config.subgraphs.items():
                group.create_task(stack.wait_ready(name, sub))
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None


async def _until_stopped(awaitable: Awaitable[Any], stop: asyncio.Event) -> None:
    task = asyncio.ensure_future(awaitable)
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopper.cancel()
        task.result()
    else:
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass


def check_ports_free(config: ChorusConfig) -> list[str]:
    """Ports already taken, named, so `chorus dev` can refuse with a clear message."""
    import socket

    taken = []
    ports = [("router", config.router.host, config.router.port)]
    ports += [(n, s.host, s.port) for n, s in config.subgraphs.items()]
    for name, host, port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                taken.append(f"{name} port {port} on {host}")
    return taken
