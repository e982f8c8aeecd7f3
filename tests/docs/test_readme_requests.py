"""The README's first requests work as printed: its GraphQL operations validate against the
supergraph the repository's stack composes, and the fraud mutation, the alert subscription's
shape and the REST calls (curl) run against the fraud subgraphs behind a router with the
repository's router.yaml."""

from __future__ import annotations

import re
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from graphql import parse, validate

from router.server.app import create_router_app
from router.settings import load_router_settings
from tests.helpers.fraud_stack import ROOT, FraudStack, fraud_stack

README = (ROOT / "README.md").read_text()
SUPERGRAPH = ROOT / "docker" / "k8s" / "supergraph.graphql"  # the stack's, checked fresh


@dataclass(frozen=True)
class Curl:
    method: str
    url: str
    body: str | None


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _operations() -> list[str]:
    """The ```graphql blocks and the inline `subscription { ... }` of the README (but those
    with `...` for an argument, a placeholder)."""
    inline = re.findall(r"`(subscription \{[^`]*\})`", README)
    complete = [" ".join(s.split()) for s in inline if ": ..." not in s]
    return [*_blocks("graphql"), *complete]


def _curls() -> list[Curl]:
    calls = []
    for block in _blocks("bash"):
        # one command per chunk: a quoted body may span lines
        for command in re.split(r"\n(?=\S)", block.replace("\\\n", " ")):
            argv = shlex.split(command)
            if not argv or argv[0] != "curl":
                continue
            opts = {a: argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-X", "-d")}
            url = next(a for a in argv[1:] if a.startswith("http"))
            calls.append(
                Curl(opts.get("-X", "POST" if "-d" in opts else "GET"), url, opts.get("-d"))
            )
    return calls


def test_the_readme_shows_both_pipelines_and_the_rest_calls() -> None:
    operations = _operations()
    assert any("say(" in op for op in operations)
    assert any("submitTransaction(" in op for op in operations)
    assert any("alertRaised" in op for op in operations)
    assert {(c.method, c.url.split("?")[0].split(":4000")[1]) for c in _curls()} == {
        ("POST", "/v1/transactions"),
        ("GET", "/v1/alerts"),
    }


def test_every_readme_operation_validates_against_the_stacks_supergraph() -> None:
    app = create_router_app(SUPERGRAPH.read_text())
    schema = app.state.router.snapshot.documents.schema
    for operation in _operations():
        errors = validate(schema, parse(operation))
        assert not errors, (operation, [e.message for e in errors])


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[FraudStack]:
    async with fraud_stack(tmp_path, load_router_settings(ROOT / "router.yaml")) as stack:
        yield stack


async def test_the_fraud_requests_run_as_printed(stack: FraudStack) -> None:
    (mutation,) = [op for op in _operations() if "submitTransaction(" in op]
    body = await stack.gql(mutation)
    assert "errors" not in body, body
    assert body["data"]["submitTransaction"]["risk"]["model"]["name"] == "anomaly"
    async with httpx.AsyncClient(timeout=30) as client:
        for call in _curls():
            url = call.url.replace("http://127.0.0.1:4000", stack.base)
            content = call.body.encode() if call.body is not None else None
            headers = {"content-type": "application/json"} if content else {}
            response = await client.request(call.method, url, content=content, headers=headers)
            assert response.status_code == (201 if call.method == "POST" else 200), response.text
            if call.method == "POST":
                tx = response.json()
                assert tx["amount"] == 1249.0 and tx["risk"]["model"]["name"] == "anomaly"
                assert {"features", "alert"} <= set(tx)
            else:
                assert isinstance(response.json(), list)
