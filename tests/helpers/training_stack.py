"""The training subgraph and a router as real processes, with JWT auth, for tests.

`TrainingStack` writes a chorus.yaml declaring the toy model, migrates, serves the
training subgraph with `chorus subgraph training` and the router with `chorus router`
(supergraph composed from the running subgraph, tokens checked against a JWKS file).
The subgraph can be killed and restarted; the router stays.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa

import migrations
from router.compose import SubgraphSource, compose
from tests.helpers.stacks import child_env, free_port, write_toy_data
from tests.helpers.training_service import MODEL, PAIRS, TOY

ISSUER, AUDIENCE = "https://idp.test", "chorus"
_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def token(scope: str | None = "models:write") -> dict[str, str]:
    """An Authorization header with a token holding `scope` (None: no scope claim)."""
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "ops", "iat": now}
    claims["exp"] = now + 600
    if scope is not None:
        claims["scope"] = scope
    signed = jwt.encode(claims, _KEY, algorithm="RS256", headers={"kid": "k1"})
    return {"authorization": f"Bearer {signed}"}


def jwks() -> dict[str, Any]:
    key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(_KEY.public_key()))
    return {"keys": [{**key, "kid": "k1", "use": "sig"}]}


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not ready after {timeout} s")


class TrainingStack:
    def __init__(self, folder: Path, **training_env: str) -> None:
        self.folder = folder
        self.port, self.router_port = free_port(), free_port()
        data = write_toy_data(folder / "toy.json", PAIRS)
        config = {
            "data_dir": str(folder / "data"),
            "subgraphs": {
                "training": {
                    "app": "subgraphs.training.app:create_app",
                    "port": self.port,
                    "models": {MODEL: {"trainer": TOY, "data": str(data), "params": {"steps": 3}}},
                }
            },
        }
        self.config = folder / "chorus.yaml"
        self.config.write_text(yaml.safe_dump(config, sort_keys=False))
        self.env = child_env(folder)
        self.env.update(
            CHORUS_TRAINING_POLL_S="0.1",
            CHORUS_TRAINING_HEARTBEAT_S="0.2",
            CHORUS_LOG_FORMAT="text",
            **training_env,
        )
        self.url = self.env["CHORUS_DATABASE_URL"]
        migrations.upgrade(self.url, owners=["subgraphs.training"])
        self.logs = folder / "logs"
        self.logs.mkdir()
        self.training: subprocess.Popen[bytes] | None = None
        self.router: subprocess.Popen[bytes] | None = None

    @property
    def router_url(self) -> str:
        return f"http://127.0.0.1:{self.router_port}/graphql"

    def _spawn(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "chorus", *argv], env=self.env, stdout=log, stderr=log
        )

    def start_training(self) -> None:
        self.training = self._spawn(
            "training", "subgraph", "training", "--config", str(self.config)
        )
        wait_http(f"http://127.0.0.1:{self.port}/ready", self.training)

    def kill_training(self) -> int:
        """SIGKILL the subgraph (its workers are left to notice); returns its pid."""
        assert self.training is not None
        pid = self.training.pid
        self.training.send_signal(signal.SIGKILL)
        self.training.wait(10)
        self.training = None
        return pid

    def start_router(self) -> None:
        url = f"http://127.0.0.1:{self.port}/graphql"
        sdl = httpx.post(url, json={"query": "{ _service { sdl } }"}).json()
        result = compose([SubgraphSource("training", url, sdl["data"]["_service"]["sdl"])])
        assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
        supergraph = self.folder / "supergraph.graphql"
        supergraph.write_text(result.supergraph_sdl)
        keys = self.folder / "jwks.json"
        keys.write_text(json.dumps(jwks()))
        settings = {
            "auth": {
                "jwt": {"jwks": [{"file": str(keys), "issuers": [ISSUER], "audiences": [AUDIENCE]}]}
            }
        }
        router_yaml = self.folder / "router.yaml"
        router_yaml.write_text(yaml.safe_dump(settings))
        self.router = self._spawn(
            "router",
            "router",
            "--supergraph",
            str(supergraph),
            "--port",
            str(self.router_port),
            "--router-config",
            str(router_yaml),
        )
        wait_http(f"http://127.0.0.1:{self.router_port}/health", self.router)

    def stop(self) -> None:
        for process in (self.router, self.training):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
