"""What the whole-process stacks share: `python -m chorus` children that log to files, waiting
for their HTTP endpoints, and a router (a child too) over the running subgraphs that checks
JWTs signed by this module's key.

`TrainingStack` and `FeedbackStack` build on `ProcessStack`; tests sign tokens with `token`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import yaml
from cryptography.hazmat.primitives.asymmetric import rsa

from router.compose import SubgraphSource, compose
from tests.helpers.stacks import free_port

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
    """Until `url` answers 200; raises when `process` exits first or after `timeout`."""
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


class ProcessStack:
    """Children of one test in `folder`, each logging to `logs/NAME.log`, and its router."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.env = env
        self.router_port = free_port()
        self.logs = folder / "logs"
        self.logs.mkdir()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    @property
    def router_url(self) -> str:
        return f"http://127.0.0.1:{self.router_port}/graphql"

    def spawn(self, name: str, *argv: str) -> subprocess.Popen[bytes]:
        """`python -m chorus ARGV` (not recorded in `processes`: one-shot commands too)."""
        log = (self.logs / f"{name}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "chorus", *argv], env=self.env, stdout=log, stderr=log
        )

    def serve_router(
        self, subgraphs: dict[str, str], settings: dict[str, Any] | None = None, *argv: str
    ) -> None:
        """Compose `subgraphs` (name -> URL, running) and serve them with `chorus router`,
        tokens checked against this module's key; `settings` add to its router.yaml."""
        sources = []
        for name, url in subgraphs.items():
            sdl = httpx.post(url, json={"query": "{ _service { sdl } }"}).json()
            sources.append(SubgraphSource(name, url, sdl["data"]["_service"]["sdl"]))
        result = compose(sources)
        assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
        supergraph = self.folder / "supergraph.graphql"
        supergraph.write_text(result.supergraph_sdl)
        keys = self.folder / "jwks.json"
        keys.write_text(json.dumps(jwks()))
        source = {"file": str(keys), "issuers": [ISSUER], "audiences": [AUDIENCE]}
        router_yaml = self.folder / "router.yaml"
        router_yaml.write_text(
            yaml.safe_dump({"auth": {"jwt": {"jwks": [source]}}, **(settings or {})})
        )
        self.processes["router"] = self.spawn(
            "router",
            "router",
            "--supergraph",
            str(supergraph),
            "--port",
            str(self.router_port),
            "--router-config",
            str(router_yaml),
            *argv,
        )
        wait_http(f"http://127.0.0.1:{self.router_port}/health", self.processes["router"])

    def stop(self, timeout: float = 20.0) -> None:
        """Terminate the children, the last started first (killed after `timeout`)."""
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")
