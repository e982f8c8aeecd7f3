"""Shared helpers for the composition tests.

Composition cases live in `tests/router/compose/fixtures/*.yaml` (subgraph SDLs plus what should
happen), so that every case is also checked against the peer composition
(`@theguild/federation-composition`, installed from npm into a cache folder).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from router.compose import CompositionResult, SubgraphSource, compose

HERE = Path(__file__).resolve().parents[1] / "router" / "compose"
FIXTURES = HERE / "fixtures"
PEER_PACKAGES = ["@theguild/federation-composition@0.27.0", "graphql@16.15.0"]
PEER_PREFIX = Path(
    os.environ.get("CHORUS_NPM_COMPOSE_DIR", "~/.cache/chorus/npm-compose")
).expanduser()


@dataclass(frozen=True)
class Fixture:
    """One composition case: subgraphs and the error codes expected (empty: composes)."""

    name: str
    subgraphs: list[SubgraphSource]
    errors: list[str]
    peer_errors: list[str] | None
    note: str

    @property
    def expect_ok(self) -> bool:
        return not self.errors


def load_fixture(name: str) -> Fixture:
    data = yaml.safe_load((FIXTURES / f"{name}.yaml").read_text())
    subgraphs = [
        SubgraphSource(sub, f"http://{sub}.example:4000/graphql", sdl)
        for sub, sdl in data["subgraphs"].items()
    ]
    return Fixture(
        name,
        subgraphs,
        list(data.get("errors") or []),
        data.get("peer_errors"),
        data.get("note", ""),
    )


def all_fixture_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.yaml"))


def compose_fixture(name: str) -> tuple[Fixture, CompositionResult]:
    fixture = load_fixture(name)
    return fixture, compose(fixture.subgraphs)


def compose_variant(name: str, subgraph: str, old: str, new: str) -> CompositionResult:
    """Compose a fixture with one textual edit in one subgraph (the fixed version of a case)."""
    fixture = load_fixture(name)
    sources = []
    for s in fixture.subgraphs:
        if s.name == subgraph:
            assert old in s.sdl, f"{old!r} not in {name}/{subgraph}"
            s = SubgraphSource(s.name, s.url, s.sdl.replace(old, new))
        sources.append(s)
    return compose(sources)


def error_codes(result: CompositionResult) -> list[str]:
    return sorted({e.code for e in result.errors})


# ---------------------------------------------------------------------- the peer
def peer_available() -> str | None:
    """None when the peer can run, else why not."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not installed: cannot run @theguild/federation-composition"
    return None


def ensure_peer() -> Path:
    marker = PEER_PREFIX / "node_modules" / "@theguild" / "federation-composition" / "package.json"
    if not marker.exists():
        PEER_PREFIX.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "npm",
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
                str(PEER_PREFIX),
                *PEER_PACKAGES,
            ],
            check=True,
            timeout=600,
        )
    return PEER_PREFIX


def run_peer(cases: list[list[SubgraphSource]]) -> list[dict[str, Any]]:
    """Compose each case with the peer in one node process."""
    payload = {
        "cases": [[{"name": s.name, "url": s.url, "sdl": s.sdl} for s in case] for case in cases]
    }
    payload = {"cases": [{"subgraphs": c} for c in payload["cases"]]}
    proc = subprocess.run(
        ["node", str(HERE / "peer_compose.mjs"), str(ensure_peer())],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(proc.stdout)
