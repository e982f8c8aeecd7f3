"""`chorus dev` as a user runs it: a subset of the stack, and a subgraph that cannot start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.stacks import child_env, free_port, write_stack
from tests.helpers.tiny_subgraphs import BROKEN_REASON


def _subgraph(factory: str, port: int) -> dict[str, object]:
    return {"app": f"tests.helpers.tiny_subgraphs:{factory}", "port": port}


def _dev(tmp_path: Path, *targets: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chorus",
            "dev",
            "--config",
            str(tmp_path / "chorus.yaml"),
            *targets,
        ],
        cwd=tmp_path,
        env=child_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _stop(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
    return out


def test_a_permanent_start_up_error_fails_at_once_with_its_reason(tmp_path: Path) -> None:
    write_stack(
        tmp_path,
        {
            "alpha": _subgraph("alpha_app", free_port()),
            "broken": _subgraph("broken_app", free_port()),
        },
        router={"port": free_port()},
    )
    started = time.monotonic()
    process = _dev(tmp_path)
    try:
        code = process.wait(timeout=90)  # the ready timeout is 300 s: this must not wait it out
    finally:
        out = _stop(process)
    assert code == 1, out
    assert time.monotonic() - started < 90
    assert "broken cannot start" in out and BROKEN_REASON in out
    assert "Chorus is up" not in out
    assert "stopped." in out  # the rest of the stack was stopped


@pytest.mark.slow
def test_dev_starts_only_the_named_application(tmp_path: Path) -> None:
    ports = {"alpha": free_port(), "beta": free_port(), "broken": free_port()}
    router = free_port()
    write_stack(
        tmp_path,
        {
            "alpha": _subgraph("alpha_app", ports["alpha"]),
            "beta": _subgraph("beta_app", ports["beta"]),
            "broken": _subgraph("broken_app", ports["broken"]),
        },
        router={"port": router},
        applications={"first": ["alpha"]},
    )
    process = _dev(tmp_path, "first")
    try:
        deadline = time.monotonic() + 120
        answer = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.post(
                    f"http://127.0.0.1:{router}/graphql", json={"query": "{ alpha }"}, timeout=2
                )
                if answer.status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        assert answer is not None and answer.json() == {"data": {"alpha": "a"}}
        for name in ("beta", "broken"):  # not started: nothing listens on their ports
            with pytest.raises(httpx.ConnectError):
                httpx.get(f"http://127.0.0.1:{ports[name]}/health", timeout=2)
    finally:
        out = _stop(process)
    assert "subgraphs: alpha" in out


def test_dev_refuses_an_unknown_target(tmp_path: Path) -> None:
    write_stack(tmp_path, {"alpha": _subgraph("alpha_app", free_port())})
    process = _dev(tmp_path, "nosuch")
    try:
        code = process.wait(timeout=60)
    finally:
        out = _stop(process)
    assert code == 2
    assert "'nosuch' is neither a subgraph nor an application" in out
