"""Baked models → deployment registry: the step between `chorus migrate` and the subgraphs.

The image's `models` stage trains the default models at build time into
/opt/chorus/baked, registering them in a build-time SQLite registry; `export`
writes that registry to `registry.json` beside the artefacts. At deploy time the
deployment database (PostgreSQL) knows nothing of them, so `seed` registers each
baked version there (paths point into the image, the same in every container)
and promotes one per model where the deployment has no production version this
image can load. Re-running is harmless: known versions are skipped.

    python seed_models.py export --database URL --out /opt/chorus/baked/registry.json
    python seed_models.py seed [--manifest FILE] [--database URL] [--promote missing|always|never]
    python seed_models.py wait [--model NAME ...] [--timeout S]

`wait` is the subgraph pods' init container on Kubernetes: a subgraph loads its
model once at start-up, so a pod must not start before the migration Job has
migrated the database and seeded the models.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from models.db import create_engine, data_dir, database_url
from models.registry import ModelRegistry, ModelVersion, RegistryError

DEFAULT_MANIFEST = Path(os.environ.get("CHORUS_BAKED_DIR", "/opt/chorus/baked")) / "registry.json"
PROMOTE_MODES = ("missing", "always", "never")


def _absolute(path: str, base: Path) -> str:
    """Registry paths may be relative to the data dir they were trained in."""
    p = Path(path)
    return str(p if p.is_absolute() else (base / p).resolve())


async def export(url: str, out: Path, base: Path) -> list[dict[str, Any]]:
    """Write every registered version (absolute artefact paths) as a JSON manifest."""
    engine = create_engine(url)
    try:
        versions = await ModelRegistry(engine).list()
    finally:
        await engine.dispose()
    entries = [
        {
            "name": mv.name,
            "version": mv.version,
            "stage": mv.stage,
            "path": _absolute(mv.path, base),
            "metrics": mv.metrics,
            "data_hash": mv.data_hash,
        }
        for mv in versions
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
    return entries


def _to_promote(entries: list[dict[str, Any]]) -> dict[str, str]:
    """Per model name, the manifest's production version, else its last-registered one."""
    chosen = {e["name"]: e["version"] for e in entries}  # registration order: the last wins
    chosen.update({e["name"]: e["version"] for e in entries if e["stage"] == "production"})
    return chosen


def _loadable(mv: ModelVersion | None) -> bool:
    return mv is not None and Path(mv.path).exists()


async def seed(url: str, entries: list[dict[str, Any]], promote: str) -> list[str]:
    """Register the baked versions in `url` and promote per `promote`; returns what it did."""
    if promote not in PROMOTE_MODES:
        raise ValueError(f"--promote must be one of {', '.join(PROMOTE_MODES)}")
    missing = [e["path"] for e in entries if not Path(e["path"]).exists()]
    if missing:
        raise FileNotFoundError(f"baked artefacts missing from this image: {', '.join(missing)}")
    done: list[str] = []
    engine = create_engine(url)
    try:
        registry = ModelRegistry(engine)
        for e in entries:
            if await registry.get(e["name"], e["version"]) is not None:
                continue
            try:
                await registry.register(
                    e["name"], e["version"], e["path"], e["metrics"], e["data_hash"]
                )
            except RegistryError:  # a concurrent seed registered it first
                continue
            done.append(f"registered {e['name']} {e['version']}")
        if promote != "never":
            for name, version in _to_promote(entries).items():
                current = await registry.production(name)
                if current is not None and current.version == version:
                    continue
                if promote == "missing" and _loadable(current):
                    continue
                await registry.promote(name, version)
                done.append(f"promoted {name} {version}")
    finally:
        await engine.dispose()
    return done


def _stack_histories() -> list[Any]:
    """The migration histories of the stack in ./chorus.yaml (or $CHORUS_CONFIG)."""
    from chorus.config import load_config
    from chorus.migrating import owners

    return owners(load_config())


async def missing(url: str, models: list[str], histories: list[Any] | None = None) -> list[str]:
    """What a subgraph would still lack: every migration history at its head (the stack's,
    by default), a loadable production model."""
    import migrations

    stack = migrations.histories(_stack_histories() if histories is None else histories)
    engine = create_engine(url)
    try:
        try:
            async with engine.connect() as conn:
                behind = await conn.run_sync(migrations.behind, stack)
        except Exception as exc:  # not reachable yet, or not migrated at all
            first_line = str(exc).splitlines()[0] if str(exc) else ""
            return [f"database not ready: {type(exc).__name__}: {first_line}"]
        if len(behind) == len(stack) and not any(lag.current for lag in behind):
            return ["database not ready: not migrated yet (`chorus migrate`)"]
        if behind:
            return [f"database: {lag}" for lag in behind]
        registry = ModelRegistry(engine)
        lacking: list[str] = []
        for name in models:
            if not _loadable(await registry.production(name)):
                lacking.append(f"no production version of {name} with its artefact in this image")
        return lacking
    finally:
        await engine.dispose()


async def wait(url: str, models: list[str], timeout: float, interval: float = 2.0) -> list[str]:
    """Poll until nothing is missing or `timeout` passes; returns what is still missing."""
    deadline = time.monotonic() + timeout
    while True:
        lacking = await missing(url, models)
        if not lacking or time.monotonic() >= deadline:
            return lacking
        await asyncio.sleep(interval)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="write the build-time registry as a manifest")
    exp.add_argument("--database", default=None, help="registry URL (default: the env's)")
    exp.add_argument("--out", type=Path, default=DEFAULT_MANIFEST)
    sd = sub.add_parser("seed", help="register the manifest's versions in the deployment DB")
    sd.add_argument("--database", default=None, help="registry URL (default: the env's)")
    sd.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    sd.add_argument("--promote", choices=PROMOTE_MODES, default="missing")
    wt = sub.add_parser("wait", help="wait for migrations at head and loadable production models")
    wt.add_argument("--database", default=None, help="registry URL (default: the env's)")
    wt.add_argument("--model", action="append", default=[], help="registry name (repeatable)")
    wt.add_argument("--timeout", type=float, default=600.0, help="seconds before giving up")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    url = args.database or database_url()
    if args.command == "export":
        entries = asyncio.run(export(url, args.out, data_dir().resolve()))
        print(f"exported {len(entries)} model versions to {args.out}")
        return 0 if entries else 1
    if args.command == "wait":
        lacking = asyncio.run(wait(url, args.model, args.timeout))
        print("; ".join(lacking) if lacking else "database migrated and models registered")
        return 1 if lacking else 0
    entries = json.loads(args.manifest.read_text())
    for line in asyncio.run(seed(url, entries, args.promote)) or ["nothing to do"]:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
