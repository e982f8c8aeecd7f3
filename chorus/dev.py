"""`chorus dev`: the whole stack on one machine, GraphiQL ready at the end."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
from rich.console import Console

from chorus.config import ChorusConfig
from chorus.supervisor import Supervisor, python_argv

SDL_QUERY = "{ _service { sdl } }"


async def fetch_sdl(url: str) -> str:
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.post(url, json={"query": SDL_QUERY})
        response.raise_for_status()
        return str(response.json()["data"]["_service"]["sdl"])


async def compose_running(config: ChorusConfig) -> str:
    """Compose the supergraph from the SDLs the running subgraphs serve."""
    from router.compose import SubgraphSource, compose

    sources = [
        SubgraphSource(name=name, url=sub.url, sdl=await fetch_sdl(sub.url))
        for name, sub in config.subgraphs.items()
    ]
    result = compose(sources)
    if result.errors or result.supergraph_sdl is None:
        lines = "\n".join(f"  {e}" for e in result.errors)
        raise RuntimeError(f"the subgraphs do not compose:\n{lines}")
    return result.supergraph_sdl


async def run_stack(config: ChorusConfig, console: Console, ready_timeout: float = 300.0) -> int:
    """Start subgraphs, compose, start the router; run until SIGINT/SIGTERM."""
    supervisor = Supervisor(console)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    env = config.process_env()
    code = 0
    try:
        children = {}
        for name, sub in config.subgraphs.items():
            children[name] = await supervisor.start(
                name,
                python_argv("subgraph", name, "--port", str(sub.port), "--host", sub.host),
                env={**env, **sub.env},
            )
        waits = [
            supervisor.wait_http(children[n], f"http://{s.host}:{s.port}/ready", ready_timeout)
            for n, s in config.subgraphs.items()
        ]
        await _until_stopped(asyncio.gather(*waits), stop)
        if stop.is_set():
            return 0
        supergraph = config.router.supergraph
        if supergraph is None:
            supergraph = config.data_dir / "supergraph.graphql"
            supergraph.parent.mkdir(parents=True, exist_ok=True)
            supergraph.write_text(await compose_running(config))
        router = await supervisor.start(
            "router",
            python_argv(
                "router",
                "--supergraph",
                str(Path(supergraph).resolve()),
                "--port",
                str(config.router.port),
                "--host",
                config.router.host,
                "--dev",
            ),
            env=env,
        )
        base = f"http://{config.router.host}:{config.router.port}"
        await _until_stopped(supervisor.wait_http(router, f"{base}/health", 60.0), stop)
        if stop.is_set():
            return 0
        console.print(f"\n[bold green]Chorus is up.[/bold green] GraphiQL: {base}/graphql")
        for name, sub in config.subgraphs.items():
            console.print(f"  {name:<11} {sub.url}")
        console.print("Press Ctrl-C to stop.\n")
        while not stop.is_set():
            dead = supervisor.dead()
            if dead:
                console.print(f"[red]{dead[0].name} stopped unexpectedly; shutting down[/red]")
                code = 1
                break
            try:
                await asyncio.wait_for(stop.wait(), 0.5)
            except TimeoutError:
                pass
    except (RuntimeError, TimeoutError, httpx.HTTPError) as exc:
        console.print(f"[red]chorus dev: {exc}[/red]")
        code = 1
    finally:
        console.print("stopping…")
        await supervisor.stop()
        console.print("stopped.")
    return code


async def _until_stopped(awaitable: object, stop: asyncio.Event) -> None:
    task = asyncio.ensure_future(awaitable)  # type: ignore[arg-type]
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
