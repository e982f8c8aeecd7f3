"""Rover-style `supergraph.yaml`: which subgraphs to compose and where their SDL comes from.

    federation_version: =2.3.2
    subgraphs:
      products:
        routing_url: http://localhost:4001/graphql
        schema:
          file: ./products.graphql          # relative to the yaml file
      reviews:
        routing_url: http://localhost:4002/graphql
        schema:
          subgraph_url: http://localhost:4002/graphql   # introspected via _service { sdl }

As in Rover, `${env.NAME}` and `${env.NAME:-default}` are expanded in string
values, and `routing_url` defaults to `subgraph_url`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from .types import SubgraphSource

_ENV = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
SERVICE_SDL_QUERY = "query SubgraphIntrospectQuery { _service { sdl } }"


class ConfigError(ValueError):
    """The supergraph config cannot be used (bad yaml, missing schema, failed introspection)."""


@dataclass(frozen=True)
class SubgraphConfig:
    name: str
    routing_url: str
    schema_file: Path | None = None
    subgraph_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SupergraphConfig:
    path: Path | None
    federation_version: str | None
    subgraphs: list[SubgraphConfig]

    def subgraph(self, name: str) -> SubgraphConfig | None:
        return next((s for s in self.subgraphs if s.name == name), None)


def _expand(value: Any) -> Any:
    if isinstance(value, str):

        def repl(m: re.Match[str]) -> str:
            found = os.environ.get(m.group(1))
            if found is not None:
                return found
            if m.group(2) is not None:
                return m.group(2)
            raise ConfigError(f"environment variable {m.group(1)} is not set")

        return _ENV.sub(repl, value)
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    return value


def parse_config(data: Any, base: Path | None = None, path: Path | None = None) -> SupergraphConfig:
    """Validate an already-loaded yaml document."""
    if not isinstance(data, dict) or not isinstance(data.get("subgraphs"), dict):
        raise ConfigError("supergraph config needs a `subgraphs:` mapping")
    data = _expand(data)
    subgraphs: list[SubgraphConfig] = []
    for name, entry in data["subgraphs"].items():
        if not isinstance(entry, dict):
            raise ConfigError(f"subgraph {name}: expected a mapping")
        schema = entry.get("schema") or {}
        file = schema.get("file")
        url = schema.get("subgraph_url")
        if (file is None) == (url is None):
            raise ConfigError(
                f"subgraph {name}: `schema` needs exactly one of `file` or `subgraph_url`"
            )
        routing_url = entry.get("routing_url") or url
        if not routing_url:
            raise ConfigError(f"subgraph {name}: `routing_url` is required with `schema.file`")
        schema_file = None
        if file is not None:
            schema_file = Path(file)
            if not schema_file.is_absolute() and base is not None:
                schema_file = base / schema_file
        headers = {str(k): str(v) for k, v in (schema.get("introspection_headers") or {}).items()}
        subgraphs.append(SubgraphConfig(str(name), str(routing_url), schema_file, url, headers))
    version = data.get("federation_version")
    return SupergraphConfig(path, None if version is None else str(version), subgraphs)


def load_config(path: str | Path) -> SupergraphConfig:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    return parse_config(data, path.parent, path)


def fetch_sdl(
    url: str,
    client: httpx.Client | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> str:
    """Ask a running subgraph for its SDL through `_service { sdl }`."""
    own = client is None
    client = client or httpx.Client(timeout=timeout)
    try:
        response = client.post(url, json={"query": SERVICE_SDL_QUERY}, headers=headers or {})
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise ConfigError(f"introspecting {url} failed: {exc}") from exc
    finally:
        if own:
            client.close()
    sdl = ((body.get("data") or {}).get("_service") or {}).get("sdl")
    if not isinstance(sdl, str):
        raise ConfigError(f"introspecting {url}: no `_service.sdl` in {body.get('errors')}")
    return sdl


def load_subgraph_sdl(entry: SubgraphConfig, client: httpx.Client | None = None) -> str:
    if entry.schema_file is not None:
        try:
            return entry.schema_file.read_text()
        except OSError as exc:
            raise ConfigError(
                f"subgraph {entry.name}: cannot read {entry.schema_file}: {exc}"
            ) from exc
    assert entry.subgraph_url is not None
    return fetch_sdl(entry.subgraph_url, client, entry.headers)


def load_sources(
    config: SupergraphConfig, client: httpx.Client | None = None
) -> list[SubgraphSource]:
    """Every subgraph's SDL, read from files or introspected."""
    return [
        SubgraphSource(entry.name, entry.routing_url, load_subgraph_sdl(entry, client))
        for entry in config.subgraphs
    ]
