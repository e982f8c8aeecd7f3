"""Container health check: exit 0 when the service answers 200, else 1.

One image runs every service, so the check follows the command the container
runs (PID 1's command line): `chorus subgraph NAME` is healthy once `/ready`
answers (models loaded), `chorus router` once `/health` does; a one-shot
command (`chorus migrate`, the model seeding) has nothing to check. The slim
image has no curl and a check must not need a shell, so this runs on the
interpreter already there. `CHORUS_HEALTH_URL` or an argument overrides the URL.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

import yaml

TIMEOUT_S = 4.0
ROUTER_PORT = 4000
SUBGRAPH_PORT = 4001
WILDCARD_HOSTS = {"0.0.0.0", "::", "", "127.0.0.1", "localhost"}


def _option(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _positionals(args: list[str]) -> list[str]:
    """Arguments that are not options or option values (every option here takes a value)."""
    found: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = "=" not in arg
        else:
            found.append(arg)
    return found


def _config_port(subgraph: str, config: Path) -> int:
    """The subgraph's port in chorus.yaml (what `chorus subgraph NAME` uses without --port)."""
    try:
        data = yaml.safe_load(config.read_text()) or {}
        return int(data["subgraphs"][subgraph]["port"])
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError):
        return SUBGRAPH_PORT


def url_for(cmdline: list[str], config: Path = Path("chorus.yaml")) -> str | None:
    """The URL to probe for a `chorus ...` command line; None for commands without a server."""
    start = next(
        (i + 1 for i, arg in enumerate(cmdline) if os.path.basename(arg) == "chorus"), None
    )
    if start is None or start >= len(cmdline):
        return None
    command, args = cmdline[start], cmdline[start + 1 :]
    host = _option(args, "--host") or "127.0.0.1"
    host = "127.0.0.1" if host in WILDCARD_HOSTS else host
    if command == "router":
        port = _option(args, "--port") or str(ROUTER_PORT)
        return f"http://{host}:{port}/health"
    if command == "subgraph":
        name = next(iter(_positionals(args)), "")
        port = _option(args, "--port") or str(_config_port(name, config))
        return f"http://{host}:{port}/ready"
    return None


def check(url: str, timeout: float = TIMEOUT_S) -> tuple[bool, str]:
    """Whether `url` answers 200, and a one-line reason for the container's health log."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200, f"{url}: {response.status}"
    except urllib.error.HTTPError as exc:  # 503 from /ready while models load
        return False, f"{url}: {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return False, f"{url}: {exc}"


def _pid1_cmdline() -> list[str]:
    try:
        raw = Path("/proc/1/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else os.environ.get("CHORUS_HEALTH_URL")
    if not url:
        url = url_for(_pid1_cmdline(), Path(os.environ.get("CHORUS_CONFIG", "chorus.yaml")))
    if url is None:
        print("healthcheck: no server in this container's command; nothing to check")
        return 0
    ok, reason = check(url)
    print(reason)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
