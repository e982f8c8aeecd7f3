"""Helpers for the tests that run real processes (chorus dev, hot reload, polyglot, a scaffold
through the router): free ports in our range, real processes, HTTP waits."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PORT_RANGE = range(5200, 5250)  # 5250-5299 are left to the audit's subgraphs


def port_free(port: int) -> bool:
    """Nothing can bind to it (connections in TIME_WAIT count as taken)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def listening(port: int) -> bool:
    """Some process accepts connections on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def free_ports(count: int) -> list[int]:
    """`count` ports of our range that nothing listens on right now."""
    found: list[int] = []
    for port in PORT_RANGE:
        if not port_free(port):
            continue
        found.append(port)
        if len(found) == count:
            return found
    raise RuntimeError(f"fewer than {count} free ports in {PORT_RANGE}")


class Process:
    """A child in its own process group, output to a log file; `stop()` ends the group."""

    def __init__(
        self,
        argv: Sequence[str],
        log: Path,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.log = log
        self._out = log.open("ab")
        self.popen = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_http(self, url: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"exited with {self.popen.returncode}:\n{self.output()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"{url} not ready after {timeout} s:\n{self.output()}")

    def signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self, grace: float = 10.0) -> int:
        if self.popen.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait()
        self._out.close()
        return self.popen.returncode


@contextlib.contextmanager
def processes() -> Iterator[list[Process]]:
    """A list to append started processes to; all are stopped on exit."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for proc in reversed(started):
            proc.stop()


def graphql(url: str, query: str, variables: dict[str, object] | None = None) -> dict:  # type: ignore[type-arg]
    response = httpx.post(url, json={"query": query, "variables": variables or {}}, timeout=30.0)
    return response.json()  # type: ignore[no-any-return]
