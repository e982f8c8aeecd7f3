"""Shared helpers for the static deployment checks: file loading and `chorus` argv parsing."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
K8S = DOCKER / "k8s"
OBSERVABILITY = DOCKER / "observability"
IMAGE = "chorus/chorus"
ROUTER_YAML = REPO / "router.yaml"  # the router's settings (chorus.yaml `router.config`)

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def interpolate(text: str, env: dict[str, str] | None = None) -> str:
    """Compose-style `${VAR}`, `${VAR:-default}`, `${VAR-default}` with an empty environment."""
    env = env or {}

    def value(m: re.Match[str]) -> str:
        name, op, default = m.group(1), m.group(2), m.group(3) or ""
        if op in ("?", ":?") and not env.get(name):
            raise KeyError(f"{name} is required by the compose file: {default}")
        if op == ":-":
            return env.get(name) or default
        if op == "-":
            return env.get(name, default)
        return env.get(name, "")

    return _VAR.sub(value, text.replace("$$", "\0")).replace("\0", "$")


def load_compose() -> dict[str, Any]:
    """docker/compose.yaml as compose sees it: anchors and merges resolved, variables defaulted."""
    return yaml.safe_load(interpolate((DOCKER / "compose.yaml").read_text()))


def load_chorus_config() -> dict[str, Any]:
    return yaml.safe_load((REPO / "chorus.yaml").read_text())


def subgraph_ports() -> dict[str, int]:
    """Subgraph name -> port, from chorus.yaml (what `chorus dev` serves)."""
    return {name: int(sub["port"]) for name, sub in load_chorus_config()["subgraphs"].items()}


def router_port() -> int:
    return int(load_chorus_config()["router"]["port"])


def k8s_documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def k8s_manifests() -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, name) -> document for every resource the kustomization lists."""
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for resource in kustomization["resources"]:
        for doc in k8s_documents(K8S / resource):
            key = (doc["kind"], doc["metadata"]["name"])
            assert key not in found, f"{key} is defined twice"
            found[key] = doc
    return found


def load_script(path: Path) -> ModuleType:
    """Import a script from docker/ (not a package) by path."""
    name = f"deploy_script_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class ParsedCommand:
    path: list[str]
    params: dict[str, Any] = field(default_factory=dict)


class ChorusArgvError(AssertionError):
    pass


def parse_chorus(argv: list[str]) -> ParsedCommand:
    """Parse `chorus ARGV` with the real CLI's parser (options, types, arguments), run nothing.

    Raises ChorusArgvError naming the problem: unknown sub-command, unknown option,
    a value of the wrong type, a missing or extra argument.
    """
    import typer.main

    from chorus.cli import app

    cmd: Any = typer.main.get_command(app)
    path: list[str] = []
    cwd = os.getcwd()
    os.chdir(REPO)  # relative paths (e.g. --data data/nlu/...) resolve as in the image's /app
    try:
        ctx = cmd.make_context("chorus", list(argv))
        while isinstance(getattr(cmd, "commands", None), dict):
            args = [*(getattr(ctx, "_protected_args", None) or []), *ctx.args]
            if not args:
                raise ChorusArgvError(f"chorus {shlex.join(argv)}: no sub-command")
            name, cmd, rest = cmd.resolve_command(ctx, args)
            path.append(name)
            ctx = cmd.make_context(name, rest, parent=ctx)
    except ChorusArgvError:
        raise
    except Exception as exc:  # the CLI's own usage errors (vendored click in typer)
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        raise ChorusArgvError(f"chorus {shlex.join(argv)}: {message}") from exc
    finally:
        os.chdir(cwd)
    return ParsedCommand(path, dict(ctx.params))


def chorus_command_registered(path: list[str]) -> bool:
    """Whether `chorus PATH...` exists (some are registered by optional team modules)."""
    import typer.main

    from chorus.cli import app

    cmd: Any = typer.main.get_command(app)
    for name in path:
        commands = getattr(cmd, "commands", None)
        if not isinstance(commands, dict) or name not in commands:
            return False
        cmd = commands[name]
    return True


def option_value(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None
