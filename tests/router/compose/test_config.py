"""supergraph.yaml loading: files relative to the yaml, env expansion, `_service` introspection."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import strawberry
import uvicorn
from strawberry.asgi import GraphQL

from router.compose import ConfigError, compose, load_config, load_sources
from router.compose.config import fetch_sdl

PORT = 4661


@strawberry.federation.type(keys=["id"])
class Book:
    id: strawberry.ID
    title: str


@strawberry.type
class Query:
    @strawberry.field
    def book(self) -> Book:
        return Book(id=strawberry.ID("1"), title="Dune")


@pytest.fixture(scope="module")
def live_subgraph() -> Iterator[str]:
    schema = strawberry.federation.Schema(query=Query)
    server = uvicorn.Server(
        uvicorn.Config(GraphQL(schema), host="127.0.0.1", port=PORT, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{PORT}/graphql"
    server.should_exit = True
    thread.join(timeout=5)


def test_file_paths_are_relative_to_the_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "a.graphql").write_text("type Query { a: Int }")
    monkeypatch.setenv("CHORUS_TEST_HOST", "a.internal")
    (tmp_path / "supergraph.yaml").write_text(
        "federation_version: =2.3.2\n"
        "subgraphs:\n"
        "  a:\n"
        "    routing_url: http://${env.CHORUS_TEST_HOST}:${env.CHORUS_TEST_PORT:-4001}/graphql\n"
        "    schema:\n"
        "      file: ./schemas/a.graphql\n"
    )
    config = load_config(tmp_path / "supergraph.yaml")
    assert config.federation_version == "=2.3.2"
    [source] = load_sources(config)
    assert source.url == "http://a.internal:4001/graphql"
    assert source.sdl == "type Query { a: Int }"


@pytest.mark.parametrize(
    "body",
    [
        "subgraphs: []\n",
        "subgraphs:\n  a:\n    schema: {}\n",
        "subgraphs:\n  a:\n    schema:\n      file: x.graphql\n",  # no routing_url
        "subgraphs:\n  a:\n    routing_url: http://x\n    schema:\n"
        "      file: ${env.CHORUS_NOPE_UNSET}\n",
    ],
)
def test_invalid_configs_are_refused(tmp_path: Path, body: str) -> None:
    (tmp_path / "supergraph.yaml").write_text(body)
    with pytest.raises(ConfigError):
        load_config(tmp_path / "supergraph.yaml")


def test_missing_schema_file(tmp_path: Path) -> None:
    (tmp_path / "supergraph.yaml").write_text(
        "subgraphs:\n  a:\n    routing_url: http://x\n    schema:\n      file: missing.graphql\n"
    )
    with pytest.raises(ConfigError, match="cannot read"):
        load_sources(load_config(tmp_path / "supergraph.yaml"))


def test_subgraph_url_is_introspected(tmp_path: Path, live_subgraph: str) -> None:
    sdl = fetch_sdl(live_subgraph)
    assert "type Book" in sdl
    (tmp_path / "supergraph.yaml").write_text(
        f"subgraphs:\n  books:\n    schema:\n      subgraph_url: {live_subgraph}\n"
    )
    sources = load_sources(load_config(tmp_path / "supergraph.yaml"))
    assert sources[0].url == live_subgraph  # routing_url defaults to subgraph_url
    result = compose(sources)
    assert result.errors == []
    assert result.supergraph_sdl is not None
    assert '@join__type(graph: BOOKS, key: "id")' in result.supergraph_sdl


def test_unreachable_subgraph_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="introspecting"):
        fetch_sdl("http://127.0.0.1:4662/graphql", timeout=2)
