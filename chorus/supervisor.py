"""Runs the stack's processes: prefixed coloured logs, readiness waits, clean shutdown.

Each child gets its own process group, so stopping the stack also stops anything
a child spawned (uvicorn workers, tokenizer threads): no orphans, ports freed.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass, field

import httpx
from rich.console import Console
from rich.text import Text

COLOURS = ["cyan", "magenta", "green", "yellow", "blue", "bright_red", "bright_cyan"]


class StartupFailed(RuntimeError):
    """A child's readiness endpoint says it will never be ready (`"permanent": true`)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name, self.reason = name, reason
        super().__init__(f"{name} cannot start: {reason}")


def permanent_error(response: httpx.Response) -> str | None:
    """The reason a not-ready answer gives when it says the failure is permanent.

    The subgraph kit answers ``{"ready": false, "error": "...", "permanent": true}``
    when a start-up hook failed (hooks are not retried); anything else means "not yet".
    """
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("permanent") is True and not body.get("ready"):
        return str(body.get("error") or "start-up failed")
    return None


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None
    colour: str = "white"


class Supervisor:
    """Starts children, streams their output with a `name |` prefix, and stops them all."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self.children: list[Child] = []
        self._pumps: list[asyncio.Task[None]] = []
        self.width = 10

    async def start(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Child:
        child = Child(name, argv, env or {}, colour=COLOURS[len(self.children) % len(COLOURS)])
        full_env = {**os.environ, **child.env, "PYTHONUNBUFFERED": "1"}
        child.process = await asyncio.create_subprocess_exec(
            *argv,
            env=full_env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self.children.append(child)
        self.width = max(self.width, len(name))
        self._pumps.append(asyncio.create_task(self._pump(child)))
        return child

    async def _pump(self, child: Child) -> None:
        assert child.process is not None and child.process.stdout is not None
        while True:
            line = await child.process.stdout.readline()
            if not line:
                break
            self.log(child, line.decode(errors="replace").rstrip())
        code = await child.process.wait()
        if code not in (0, -signal.SIGTERM, -signal.SIGINT):
            self.log(child, f"exited with code {code}")

    def log(self, child: Child, message: str) -> None:
        prefix = Text(f"{child.name:<{self.width}} | ", style=child.colour)
        self.console.print(prefix + Text(message), soft_wrap=True)

    def dead(self) -> list[Child]:
        return [c for c in self.children if c.process and c.process.returncode is not None]

    async def wait_http(self, child: Child, url: str, timeout: float) -> None:
        """Poll `url` until it answers 200; fail early if the child died or says it never will."""
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if child.process and child.process.returncode is not None:
                    code = child.process.returncode
                    raise RuntimeError(f"{child.name} exited with code {code} before it was ready")
                try:
                    response = await client.get(url)
                    if response.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                else:
                    reason = permanent_error(response)
                    if reason is not None:
                        raise StartupFailed(child.name, reason)
                await asyncio.sleep(0.2)
        raise TimeoutError(f"{child.name} was not ready at {url} after {timeout:.0f} s")

    async def stop(self, grace: float = 10.0) -> None:
        """SIGTERM every process group, then SIGKILL what is still alive after `grace` seconds."""
        for child in reversed(self.children):
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in self.children:
            assert child.process is not None
            remaining = max(0.1, deadline - time.monotonic())
            try:
                await asyncio.wait_for(child.process.wait(), remaining)
            except TimeoutError:
                _signal_group(child, signal.SIGKILL)
                await child.process.wait()
            _signal_group(child, signal.SIGKILL)  # stragglers in the group
        for pump in self._pumps:
            try:
                await asyncio.wait_for(pump, 2.0)
            except (TimeoutError, asyncio.CancelledError):
                pump.cancel()


def _signal_group(child: Child, sig: signal.Signals) -> None:
    if child.process is None:
        return
    try:
        os.killpg(child.process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def python_argv(*args: str) -> list[str]:
    """Run a `chorus` sub-command with the same interpreter."""
    return [sys.executable, "-m", "chorus", *args]
