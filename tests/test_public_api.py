"""The product uses only the public API of strawberry, uvicorn and starlette.

A private attribute or module of those packages pins every team's subgraph to the one
release it was written against (issue 15), so none may appear in `router/`,
`subgraphs/`, `models/` or `chorus/`. The pattern is the one the project's reviewers
run (`arch-check`'s PRIVATE); the cases below show what it catches and what it lets by.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("router", "subgraphs", "models", "chorus")

PRIVATE = re.compile(
    r"(strawberry|uvicorn|starlette)[\w.]*\._[a-z]|from (strawberry|uvicorn|starlette)[\w.]*\._"
    r"|from (strawberry|uvicorn|starlette)[\w.]* import .*\b_[a-z]|\._schema\b|uvicorn\.protocols"
    r"|\b(schema|view|self\.schema|self\.view)\._[a-z]\w*\("
)


def private_uses(root: Path = REPO) -> list[str]:
    """`path:line: text` for every line of the product that matches the pattern."""
    hits = []
    for folder in PRODUCT:
        for path in sorted((root / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                if PRIVATE.search(line):
                    hits.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    return hits


def test_the_product_uses_no_private_api_of_strawberry_uvicorn_or_starlette() -> None:
    hits = private_uses()
    assert not hits, "private API in the product:\n" + "\n".join(hits)


@pytest.mark.parametrize(
    "line",
    [
        "from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol",
        "errors = validate_document(schema._schema, document, rules)",
        "self.schema._process_errors(errors, context)",
        "view._handle_errors(errors, response)",
        "self.view._get_stream_transport_from_headers(headers)",
        "from strawberry.http._parse import parse_content_type",
        "from starlette.routing import _wrap_gen_lifespan_context",
        "strawberry.schema.schema._run_validation(context)",
    ],
)
def test_the_pattern_catches_private_uses(line: str) -> None:
    assert PRIVATE.search(line)


@pytest.mark.parametrize(
    "line",
    [
        "from strawberry.asgi import GraphQL",
        "from strawberry.extensions import ParserCache, ValidationCache",
        "result = await self.schema.execute(query, variable_values=variables)",
        "processed = await view.process_result(http_request, result)",
        'uvicorn.run(app, loop=LOOP, http="httptools")',
        "from starlette.requests import Request",
    ],
)
def test_the_pattern_lets_public_uses_by(line: str) -> None:
    assert not PRIVATE.search(line)


def test_a_private_use_in_a_product_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "subgraphs").mkdir()
    (tmp_path / "subgraphs" / "app.py").write_text("x = 1\ngql = schema._schema\n")
    assert private_uses(tmp_path) == ["subgraphs/app.py:2: gql = schema._schema"]
