"""Each subgraph's SDL without running it: from its `sdl:` file, or printed in-process.

In-process, the subgraph's app factory is called (its app is built, not served: no
lifespan runs, so no model loads and no table is touched) and its strawberry schema
answers `_service { sdl }`, exactly what the router's introspection of a running
subgraph gets. A subgraph written in another language names an SDL file instead.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterable, Iterator
from typing import Any

from chorus.config import ChorusConfig, SubgraphConfig
from models.resources import resolve
from router.compose import SubgraphSource

SDL_QUERY = "{ _service { sdl } }"


class SchemaUnavailable(RuntimeError):
    """A subgraph's SDL cannot be found without running it; the message says what to set."""


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """The subgraph's `env:` from chorus.yaml while its app is built (as `chorus dev` gives it)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _schema_of(built: Any) -> Any:
    """The strawberry schema behind what an app factory returned (a kit app, or a schema)."""
    if hasattr(built, "execute_sync"):
        return built
    state = getattr(built, "state", None)
    schema = getattr(state, "schema", None)
    return schema if hasattr(schema, "execute_sync") else None


def subgraph_sdl(name: str, sub: SubgraphConfig, config: ChorusConfig) -> str:
    """The SDL `name` serves: its `sdl:` file, else its app's `_service { sdl }`."""
    if sub.sdl is not None:
        path = resolve(sub.sdl, must_exist=False)
        if not path.is_absolute():
            path = config.base_dir / path
        try:
            return path.read_text()
        except OSError as exc:
            raise SchemaUnavailable(f"subgraph {name}: cannot read sdl {sub.sdl}: {exc}") from exc
    module_name, _, factory = sub.app.partition(":")
    try:
        with _environment(sub.env):
            built = getattr(importlib.import_module(module_name), factory)()
    except (ImportError, AttributeError) as exc:
        raise SchemaUnavailable(f"subgraph {name}: cannot build {sub.app}: {exc}") from exc
    schema = _schema_of(built)
    if schema is None:
        raise SchemaUnavailable(
            f"subgraph {name}: {sub.app} returned no strawberry schema (app.state.schema); "
            "set `sdl:` to its SDL file in chorus.yaml"
        )
    result = schema.execute_sync(SDL_QUERY)
    sdl = ((result.data or {}).get("_service") or {}).get("sdl")
    if result.errors or not isinstance(sdl, str):
        raise SchemaUnavailable(
            f"subgraph {name}: its schema has no `_service {{ sdl }}` (a federation schema?): "
            f"{result.errors}"
        )
    return sdl


def stack_sources(config: ChorusConfig, names: Iterable[str] | None = None) -> list[SubgraphSource]:
    """Composition input for the config's subgraphs (default all), routed at their URLs."""
    wanted = list(config.subgraphs if names is None else names)
    return [
        SubgraphSource(
            name, config.subgraphs[name].url, subgraph_sdl(name, config.subgraphs[name], config)
        )
        for name in wanted
    ]
