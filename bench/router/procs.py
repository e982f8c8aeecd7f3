"""Start, watch and stop the benchmark's server processes.

Every process starts in its own session (process group), pinned to a CPU
with `taskset`, so that stopping it stops whatever it forked, and nothing
outside the bench is ever signalled. CPU time is read from /proc: utime +
stime of the process and all its descendants (Node gateways may fork).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["Proc", "cpu_seconds", "poll_ready", "port_free", "post_json", "wait_ready"]

_TICK = os.sysconf("SC_CLK_TCK")


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def poll_ready(
    url: str,
    check: Callable[[], None],
    timeout: float,
    *,
    interval: float = 0.2,
    request_timeout: float = 1.0,
) -> bool:
    """Poll `url` until it answers 200 (True) or `timeout` passes (False); `check()` runs
    before every try and raises when whatever should answer has died."""
    deadline = time.monotonic() + timeout
    while True:
        check()
        try:
            with urllib.request.urlopen(url, timeout=request_timeout) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> None:
    """Poll `url` until it answers 200; fail early if `process` exits first."""

    def alive() -> None:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")

    if not poll_ready(url, alive, timeout):
        raise TimeoutError(f"{url} not ready after {timeout:.0f} s")


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{p}/task"):
                with contextlib.suppress(OSError):
                    todo.extend(
                        int(c) for c in Path(f"/proc/{p}/task/{task}/children").read_text().split()
                    )
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and its live descendants, in seconds."""
    ticks = 0
    for p in _descendants(pid):
        with contextlib.suppress(OSError):
            stat = Path(f"/proc/{p}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return ticks / _TICK


def post_json(url: str, body: bytes, timeout: float = 5.0) -> tuple[int, bytes]:
    req = urllib.request.Request(
        url, data=body, headers={"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


class Proc:
    """One server process of the bench, pinned to `cpus`, logging to `log`."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cpus: str,
        log: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.log = log
        self._fh = log.open("wb")
        self.popen = subprocess.Popen(
            ["taskset", "-c", cpus, *argv],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def wait_ready(self, url: str, probe: bytes, timeout: float = 90.0) -> None:
        """Wait until POST `probe` to `url` answers 200 (or raise with the log's tail)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")
            try:
                status, _ = post_json(url, probe, timeout=2.0)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s:\n{self.tail()}")

    def tail(self, n: int = 30) -> str:
        self._fh.flush()
        lines = self.log.read_text(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the process group, SIGKILL it after `grace` seconds."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        else:
            # the leader is gone; a forked child may still hold the group
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, signal.SIGKILL)
        self._fh.close()
