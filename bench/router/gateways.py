"""The gateways under test: Chorus's router and the two Node peers from npm.

The Node peers are installed by the bench itself, with pinned versions, into
a cache folder outside git (`$CHORUS_BENCH_CACHE`, default
`~/.cache/chorus-bench`); a second run reuses the install.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "GATEWAYS",
    "NODE_PACKAGES",
    "Gateway",
    "baseline",
    "cache_dir",
    "install_peers",
    "versions",
]

REPO = Path(__file__).resolve().parents[2]

#: npm packages the peers need, pinned (the versions the issue measured)
NODE_PACKAGES = {
    "@apollo/gateway": "2.14.1",
    "@apollo/server": "5.5.1",
    "@graphql-hive/gateway": "2.15.1",
    "graphql": "16.11.0",
}


def cache_dir() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "chorus-bench"
    return Path(os.environ.get("CHORUS_BENCH_CACHE", default))


def _node_dir() -> Path:
    return cache_dir() / "node"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node (>= 20) is not installed")
    major = int(subprocess.check_output([node, "-p", "process.versions.node"], text=True)[:2])
    if major < 20:
        raise SystemExit(f"node >= 20 is needed, found {major}")
    return node


def install_peers(log: Callable[[str], None] = print) -> None:
    """`npm install` the pinned packages unless the cache already has exactly them."""
    d = _node_dir()
    d.mkdir(parents=True, exist_ok=True)
    manifest = json.dumps({"private": True, "dependencies": NODE_PACKAGES}, indent=2) + "\n"
    pkg = d / "package.json"
    stamp = d / "node_modules" / ".chorus-bench-installed"
    if not (pkg.exists() and pkg.read_text() == manifest and stamp.exists()):
        log(f"installing {', '.join(f'{k}@{v}' for k, v in NODE_PACKAGES.items())} into {d}")
        pkg.write_text(manifest)
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("npm is not installed")
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=d, check=True
        )
        stamp.write_text(manifest)
    shutil.copyfile(Path(__file__).with_name("apollo_gateway.mjs"), d / "apollo_gateway.mjs")


@dataclass(frozen=True)
class Gateway:
    key: str
    title: str
    #: (supergraph file, port) -> argv
    argv: Callable[[Path, int], list[str]]
    path: str = "/graphql"
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None


def _chorus(sg: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "router", "--supergraph", str(sg), "--port", str(port)]


def _apollo(sg: Path, port: int) -> list[str]:
    return [_node(), str(_node_dir() / "apollo_gateway.mjs"), str(sg), str(port)]


def _hive(sg: Path, port: int) -> list[str]:
    bin_ = _node_dir() / "node_modules" / ".bin" / "hive-gateway"
    return [str(bin_), "supergraph", str(sg), "--host", "127.0.0.1", "--port", str(port)]


_PROD = {"NODE_ENV": "production"}

GATEWAYS: tuple[Gateway, ...] = (
    Gateway("chorus", "Chorus router", _chorus, cwd=REPO),
    Gateway("apollo", "Apollo Gateway", _apollo, env=_PROD, cwd=None),
    Gateway("hive", "Hive Gateway", _hive, env=_PROD, cwd=None),
)


def baseline(repo: Path) -> Gateway:
    """Chorus's router served from another checkout (`--baseline-repo`), for an A/B in one run.

    `git worktree add /tmp/router-before <commit>` gives one; it is measured interleaved
    with this checkout's router, against the same subgraphs.
    """
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return Gateway(
        "baseline",
        f"Chorus router at {head or repo}",
        _chorus,
        env={"PYTHONPATH": str(repo)},
        cwd=repo,
    )


def _npm_version(name: str) -> str:
    try:
        meta = json.loads((_node_dir() / "node_modules" / name / "package.json").read_text())
        return str(meta["version"])
    except (OSError, ValueError, KeyError):
        return "?"


def _py_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def versions() -> dict[str, str]:
    """What ran: interpreter, runtimes and the packages on each gateway's hot path."""
    out = {"python": platform.python_version()}
    for name in ("uvicorn", "uvloop", "httptools", "httpx", "httpcore", "aiohttp", "orjson"):
        out[name] = _py_version(name)
    try:
        out["node"] = subprocess.check_output([_node(), "--version"], text=True).strip()
    except (SystemExit, OSError):
        out["node"] = "-"
    for name in NODE_PACKAGES:
        out[name] = _npm_version(name)
    wrk = shutil.which("wrk")
    if wrk is not None:
        proc = subprocess.run([wrk, "--version"], capture_output=True, text=True)
        out["wrk"] = (proc.stdout + proc.stderr).split("[")[0].strip()
    return out
