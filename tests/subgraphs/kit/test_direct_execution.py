"""Queries seen before skip strawberry's wrapper and still answer and log as strawberry does.

Each query goes three times to a kit app with compiled and direct execution (the default)
and to one with both switched off (`CHORUS_COMPILED_EXECUTION=0`); answers and the errors
handed to the schema's `process_errors` must agree, and the first app must have answered
the repeats directly.
"""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import GraphQLError
from starlette.testclient import TestClient
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from subgraphs.kit import create_app, user_error
from subgraphs.kit.direct_execution import direct_execution


@strawberry.type
class Entry:
    id: int

    @strawberry.field
    def name(self) -> str | None:
        if self.id == 2:
            raise user_error(f"entry {self.id} is hidden", "FORBIDDEN", entry=self.id)
        return f"entry {self.id}"


@strawberry.type
class Query:
    @strawberry.field
    def entries(self, first: int = 3) -> list[Entry]:
        return [Entry(id=i) for i in range(first)]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def bump(self, by: int) -> int:
        return by + 1


class RecordingSchema(strawberry.Schema):
    """Records what reaches `process_errors` (strawberry logs errors there)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.processed: list[tuple[str, str | None]] = []

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        query = execution_context.query if execution_context is not None else None
        self.processed.extend((error.message, query) for error in errors)
        super().process_errors(errors, execution_context)


def _app(monkeypatch: pytest.MonkeyPatch, compiled: bool) -> tuple[TestClient, Any]:
    monkeypatch.setenv("CHORUS_COMPILED_EXECUTION", "1" if compiled else "0")
    schema = RecordingSchema(query=Query, mutation=Mutation)
    app = create_app(schema, name="direct-test")
    return TestClient(app), app


CASES: list[dict[str, Any]] = [
    {"query": "{ entries { id name } }"},
    {"query": "query($n: Int!) { entries(first: $n) { id } }", "variables": {"n": 2}},
    {"query": "query($n: Int!) { entries(first: $n) { id } }", "variables": {"n": "two"}},
    {"query": "query($n: Int!) { entries(first: $n) { id } }"},
    {"query": "mutation($by: Int!) { bump(by: $by) }", "variables": {"by": 41}},
    {"query": "query A { entries { id } } query B { entries { name } }", "operationName": "B"},
    {"query": "query A { entries { id } } query B { entries { name } }"},
]


def test_repeated_queries_answer_directly_as_strawberry_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast, fast_app = _app(monkeypatch, compiled=True)
    plain, plain_app = _app(monkeypatch, compiled=False)
    direct = fast_app.state.lean.direct
    assert direct is not None and plain_app.state.lean.direct is None
    with fast, plain:
        for body in CASES:
            for _ in range(3):
                expected = plain.post("/graphql", json=body)
                answer = fast.post("/graphql", json=body)
                assert (answer.status_code, answer.json()) == (
                    expected.status_code,
                    expected.json(),
                ), body
    # each query text's first request validated it on strawberry's path; the rest were direct
    assert direct.runs == 3 * len(CASES) - len({case["query"] for case in CASES})
    fast_errors = fast_app.state.schema.processed
    assert fast_errors == plain_app.state.schema.processed
    assert ("entry 2 is hidden", CASES[0]["query"]) in fast_errors


class Counting(SchemaExtension):
    def on_operation(self) -> Any:
        yield


def test_schemas_with_their_own_extensions_keep_strawberrys_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CHORUS_COMPILED_EXECUTION", raising=False)
    schema = strawberry.Schema(query=Query, extensions=[Counting])
    app = create_app(schema, name="direct-test")
    assert app.state.lean.direct is None
    assert direct_execution(strawberry.Schema(query=Query)) is None  # not compiled by the kit


def test_an_unexpected_failure_is_an_error_answer_and_logged(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, app = _app(monkeypatch, compiled=True)
    body = {"query": "{ entries { id } }"}
    with client:
        assert client.post("/graphql", json=body).json() == {
            "data": {"entries": [{"id": 0}, {"id": 1}, {"id": 2}]}
        }

        def broken(*_args: Any, **_kwargs: Any) -> Any:
            raise RuntimeError("executor broke")

        monkeypatch.setattr("subgraphs.kit.direct_execution.execute", broken)
        answer = client.post("/graphql", json=body)
    assert answer.status_code == 200
    assert answer.json() == {"data": None, "errors": [{"message": "executor broke"}]}
    assert ("executor broke", body["query"]) in app.state.schema.processed
