"""docs/tutorial.md runs as written: its shell blocks in a copy of the project, its GraphQL
blocks sent to the router they start, its Python blocks in one session.

The copy's stack moves to free ports so the test runs beside other stacks: chorus.yaml's
ports are rewritten and the tutorial's 4000 (router) and 4009 (the new subgraph) with
them. Any failing block fails the test with its output; every process a block leaves
running is stopped at the end.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.chorus.commands.test_new_deploy import _copy_repository
from tests.helpers.workflow import REPO

TUTORIAL = REPO / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# the router, the subgraphs chorus.yaml has (4001-4008), and the new one the tutorial adds
STACK_PORTS = tuple(range(4000, 4010))
TEAM_CODE_LIMIT = 60


def blocks(text: str) -> list[tuple[str, str]]:
    return [(m[1], m[2]) for m in BLOCK.finditer(text)]


def _free_base(count: int) -> int:
    """The first of `count` consecutive free ports."""
    for base in range(20000, 60000, 97):
        with contextlib.ExitStack() as stack:
            try:
                for port in range(base, base + count):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return base
    raise RuntimeError("no free ports")


def test_the_tutorial_is_complete_and_self_contained() -> None:
    text = TUTORIAL.read_text()
    found = blocks(text)
    kinds = [kind for kind, _ in found]
    assert {"bash", "graphql", "python"} <= set(kinds)
    assert "chorus new subgraph tone --model" in text and "chorus train tone --promote" in text
    # the team's own code: the Python and the data it adds (the heredoc's body)
    python = [line for kind, code in found if kind == "python" for line in code.splitlines()]
    data = [line for _, code in found for line in code.splitlines() if line.startswith("  - {")]
    own = [line for line in python + data if line.strip()]
    assert len(own) <= TEAM_CODE_LIMIT, len(own)
    for target in re.findall(r"\]\(([^)]+)\)", text):
        assert "://" not in target, f"link outside the repository: {target}"
        assert (TUTORIAL.parent / target.split("#")[0]).resolve().exists(), target
    assert "docs/tutorial.md" in (REPO / "README.md").read_text()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


@contextlib.contextmanager
def _sessions() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Shell blocks, each in its own process group; whatever they leave running is stopped.

    SIGTERM, which `chorus dev` answers by stopping its subgraphs and router (a
    background job of a script ignores SIGINT); SIGKILL after 30 s.
    """
    started: list[subprocess.Popen[bytes]] = []
    try:
        yield started
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in started:
            while _group_alive(process.pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.timeout(900)  # a whole `chorus dev` with a first-run training, block by block
def test_every_block_of_the_tutorial_runs(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _copy_repository(project)
    base = _free_base(len(STACK_PORTS))
    ports = {old: str(base + i) for i, old in enumerate(STACK_PORTS)}
    config = project / "chorus.yaml"
    config.write_text(
        re.sub(r"port: (400[0-8])\b", lambda m: f"port: {ports[int(m[1])]}", config.read_text())
    )

    def moved(code: str) -> str:
        return re.sub(r"\b(400[0-9])\b", lambda m: ports[int(m[1])], code)

    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env["PYTHONPATH"] = str(project)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    namespace: dict[str, Any] = {}
    ran = {"bash": 0, "graphql": 0, "python": 0}
    router = f"http://127.0.0.1:{ports[4000]}/graphql"
    with _sessions() as started:
        for number, (kind, code) in enumerate(blocks(TUTORIAL.read_text()), start=1):
            where = f"block {number} ({kind}):\n{code}"
            if kind == "bash":
                log = tmp_path / f"block{number}.log"
                with log.open("wb") as out:
                    process = subprocess.Popen(
                        ["bash", "-euo", "pipefail", "-c", moved(code)],
                        cwd=project,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                    started.append(process)
                    status = process.wait(timeout=900)
                output = log.read_text(errors="replace")
                dev_log = project / "dev.log"
                extra = dev_log.read_text(errors="replace")[-4000:] if dev_log.exists() else ""
                assert status == 0, f"{where}\n--- output\n{output[-4000:]}\n--- dev.log\n{extra}"
            elif kind == "graphql":
                response = httpx.post(router, json={"query": moved(code)}, timeout=60)
                body = response.json()
                assert response.status_code == 200 and "errors" not in body, f"{where}\n{body}"
                assert all(value is not None for value in body["data"].values()), body
            elif kind == "python":
                previous = Path.cwd()
                os.chdir(project)
                try:
                    exec(compile(moved(code), f"tutorial block {number}", "exec"), namespace)
                finally:
                    os.chdir(previous)
            else:
                continue
            ran[kind] += 1
    assert ran["bash"] >= 5 and ran["graphql"] >= 2 and ran["python"] >= 2, ran
    # what the Python blocks computed: one version first, then the newly promoted one
    assert len(namespace["versions"]) == 1
    assert namespace["passes"] < namespace["items"]
    assert namespace["now"] not in namespace["versions"]
