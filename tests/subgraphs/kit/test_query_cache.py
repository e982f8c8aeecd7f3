"""`QueryCache`: a query text seen before skips parsing and validation, with the same answers."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import pytest
import strawberry
from graphql import NoDeprecatedCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter
from strawberry.types import Info

from subgraphs.kit import create_app
from subgraphs.kit.query_cache import QueryCache, ValidatedDocuments, is_query_cache, query_cache


@strawberry.type
class Query:
    @strawberry.field
    def greet(self, name: str = "you") -> str:
        return f"hello {name}"

    @strawberry.field(deprecation_reason="use greet")
    def old(self) -> str:
        return "old"

    @strawberry.field
    def operation_id(self, info: Info) -> str:
        """Which parsed operation node served this request (`id` of graphql-core's node)."""
        return str(id(info.operation))


def _run(schema: strawberry.Schema, query: str, **kwargs: Any) -> Any:
    return asyncio.run(schema.execute(query, **kwargs))


def _schema(documents: ValidatedDocuments, *before: Any) -> strawberry.Schema:
    return strawberry.Schema(query=Query, extensions=[*before, partial(QueryCache, documents)])


def test_a_query_seen_before_reuses_its_parsed_document() -> None:
    documents = ValidatedDocuments()
    schema = _schema(documents)
    query = "query Q($n: String!) { greet(name: $n) operationId }"
    first = _run(schema, query, variable_values={"n": "a"})
    second = _run(schema, query, variable_values={"n": "b"})
    assert not first.errors and not second.errors
    assert len(documents) == 1
    assert (first.data["greet"], second.data["greet"]) == ("hello a", "hello b")
    assert first.data["operationId"] == second.data["operationId"]
    entry = documents.get(query)
    assert entry is not None
    assert str(id(entry.document.definitions[0])) == second.data["operationId"]


def test_answers_are_the_same_as_without_the_cache() -> None:
    plain = strawberry.Schema(query=Query)
    cached = _schema(ValidatedDocuments())
    queries = [
        "{ greet }",
        "{ greet(name: 1) }",  # invalid
        "{ nope }",  # invalid
        "{ greet ",  # syntax error
        "mutation { greet }",  # no mutation type
        "query A { greet } query B { old }",  # needs an operation name
    ]
    for query in queries:
        for _ in range(2):
            expected, got = _run(plain, query), _run(cached, query)
            assert got.data == expected.data, query
            assert [e.formatted for e in got.errors or []] == [
                e.formatted for e in expected.errors or []
            ], query
    named = {"operation_name": "B"}
    assert _run(cached, queries[-1], **named).data == _run(plain, queries[-1], **named).data


def test_only_documents_that_validated_are_kept() -> None:
    documents = ValidatedDocuments()
    schema = _schema(documents)
    for query in ("{ nope }", "{ greet ", "{ greet(name: 1) }"):
        assert _run(schema, query).errors
        assert _run(schema, query).errors  # a second time: validated again, same errors
    assert len(documents) == 0
    assert not _run(schema, "{ greet }").errors
    assert len(documents) == 1


def test_an_entry_is_used_only_under_the_same_validation_rules() -> None:
    documents = ValidatedDocuments()
    lenient = _schema(documents)
    strict = _schema(documents, lambda: AddValidationRules([NoDeprecatedCustomRule]))
    assert _run(lenient, "{ old }").data == {"old": "old"}
    refused = _run(strict, "{ old }")
    assert refused.data is None and refused.errors
    assert "deprecated" in refused.errors[0].message
    assert _run(lenient, "{ old }").data == {"old": "old"}


def test_the_store_is_bounded_and_drops_its_oldest_entry() -> None:
    documents = ValidatedDocuments(maxsize=2)
    schema = _schema(documents)
    for name in ("a", "b", "c"):
        assert not _run(schema, f'{{ greet(name: "{name}") }}').errors
    assert len(documents) == 2
    assert documents.get('{ greet(name: "a") }') is None
    assert documents.get('{ greet(name: "c") }') is not None
    with pytest.raises(ValueError):
        ValidatedDocuments(maxsize=0)


def test_create_app_installs_one_query_cache_only_on_a_schema_without_extensions() -> None:
    bare = strawberry.Schema(query=Query)
    create_app(bare, name="bare")
    create_app(bare, name="bare-again")
    assert len(bare.extensions) == 1 and is_query_cache(bare.extensions[0])

    limited = strawberry.Schema(query=Query, extensions=[lambda: MaxTokensLimiter(100)])
    create_app(limited, name="limited")
    assert not any(is_query_cache(e) for e in limited.extensions)
    names = {type(e).__name__ for e in limited.get_extensions()}
    assert {"ParserCache", "ValidationCache", "MaxTokensLimiter"} <= names
    assert is_query_cache(query_cache(8)) and not is_query_cache(partial(print))
