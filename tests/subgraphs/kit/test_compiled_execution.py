"""Compiled execution gives graphql-core's answers: data, errors, messages, paths, order.

Every query runs on two schemas built from the same types, one executed by graphql-core
(strawberry's default) and one with the kit's compiled execution, twice each (the second
run takes the cached plan), and the answers must be equal.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated, Any, cast

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig

from subgraphs.kit.compiled_execution import CompiledExecution, with_compiled_execution
from subgraphs.kit.query_cache import QueryCache, ValidatedDocuments

CALLS: list[str] = []


@strawberry.enum
class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Dog(Named):
    barks: bool


@strawberry.type
class Cat(Named):
    lives: int


@strawberry.type
class Item:
    id: int
    label: str | None
    mood: Mood
    tags: list[str]

    @strawberry.field
    async def later(self) -> str:
        await asyncio.sleep(0)
        return f"later {self.id}"

    @strawberry.field
    def broken(self) -> str | None:
        raise ValueError(f"broken {self.id}")

    @strawberry.field
    def strict(self) -> str:
        raise ValueError(f"strict {self.id}")

    @strawberry.field
    def bad_int(self) -> int | None:
        return "not a number"  # type: ignore[return-value]

    @strawberry.field
    def missing(self) -> str:
        return None  # type: ignore[return-value]


Pet = Annotated[Dog | Cat, strawberry.union("Pet")]


def _items() -> list[Item]:
    return [
        Item(id=i, label=None if i == 2 else f"item {i}", mood=Mood.HAPPY, tags=["a", "b"])
        for i in range(3)
    ]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return _items()

    @strawberry.field
    def strict_items(self) -> list[Item] | None:
        return _items()

    @strawberry.field
    async def async_items(self) -> list[Item]:
        return _items()

    @strawberry.field
    def awaitable_items(self) -> list[Item]:
        async def one(i: int) -> Item:
            await asyncio.sleep(0)
            return _items()[i]

        return [one(i) for i in range(3)]  # type: ignore[misc]

    @strawberry.field
    def item(self, id: int, shout: bool = False) -> Item | None:
        item = next((it for it in _items() if it.id == id), None)
        if item is not None and shout and item.label:
            item.label = item.label.upper()
        return item

    @strawberry.field
    def pets(self) -> list[Pet]:
        return [Dog(name="rex", barks=True), Cat(name="tom", lives=9)]

    @strawberry.field
    def named(self) -> list[Named]:
        return [Cat(name="kit", lives=3), Dog(name="fido", barks=False)]

    @strawberry.field
    def not_a_list(self) -> list[int] | None:
        return 3  # type: ignore[return-value]

    @strawberry.field
    async def stream(self) -> list[int]:
        async def numbers() -> AsyncIterator[int]:
            for i in range(3):
                yield i

        return numbers()  # type: ignore[return-value]

    @strawberry.field
    def sad(self) -> Mood:
        return Mood.SAD


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def first(self) -> str:
        await asyncio.sleep(0.01)
        CALLS.append("first")
        return "first"

    @strawberry.mutation
    def second(self) -> str:
        CALLS.append("second")
        return "second"

    @strawberry.mutation
    def failing(self) -> str:
        CALLS.append("failing")
        raise RuntimeError("no")


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    def make() -> strawberry.Schema:
        cache = partial(QueryCache, ValidatedDocuments())
        return strawberry.Schema(
            query=Query, mutation=Mutation, types=[Dog, Cat], extensions=[cache]
        )

    plain, compiled = make(), make()
    assert with_compiled_execution(compiled, enabled=True) is None
    return plain, compiled


def _plans(schema: strawberry.Schema) -> Any:
    return cast(Any, schema.execution_context_class).plans


def _answer(schema: strawberry.Schema, query: str, variables: dict[str, Any] | None) -> Any:
    result = asyncio.run(schema.execute(query, variable_values=variables))
    errors = [
        (e.message, e.path, [(loc.line, loc.column) for loc in e.locations or ()])
        for e in result.errors or ()
    ]
    return result.data, errors


QUERIES = {
    "leaves and lists": "{ items { id label mood tags __typename } sad }",
    "aliases and fragments": (
        "query { a: items { ...F } b: item(id: 1) { i: id ... on Item { label } } }"
        " fragment F on Item { id mood }"
    ),
    "arguments and variables": (
        "query($id: Int!, $shout: Boolean) { item(id: $id, shout: $shout) { id label } }"
    ),
    "async fields and items": ("{ asyncItems { id later } awaitableItems { id later } stream }"),
    "error in a nullable field": "{ items { id broken } }",
    "error in a non-null field nulls its parent": "{ strictItems { id strict } }",
    "error: null for a non-null field": "{ item(id: 0) { id missing } }",
    "error: a leaf that does not coerce": "{ items { id badInt } }",
    "error: not a list": "{ notAList }",
    "union": "{ pets { __typename ... on Dog { name barks } ... on Cat { name lives } } }",
    "interface": "{ named { name ... on Cat { lives } ... on Dog { barks } } }",
    "error propagated to the root": "{ items { strict } sad }",
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_same_answers_as_graphql_core(name: str) -> None:
    plain, compiled = _schemas()
    query = QUERIES[name]
    variables = {"id": 1, "shout": True} if "$id" in query else None
    expected = _answer(plain, query, variables)
    messages = [message for message, _, _ in expected[1]]
    assert name.startswith("error") == bool(messages), messages
    assert _answer(compiled, query, variables) == expected
    assert _answer(compiled, query, variables) == expected  # from the cached plan
    assert len(_plans(compiled)) == 1


def test_mutations_run_in_order_once_each() -> None:
    plain, compiled = _schemas()
    query = "mutation { first second failing after: second }"
    CALLS.clear()
    expected = _answer(plain, query, None)
    # the failing non-null field nulls the whole answer; nothing runs after it
    assert CALLS == ["first", "second", "failing"]
    assert expected[0] is None
    CALLS.clear()
    assert _answer(compiled, query, None) == expected
    assert CALLS == ["first", "second", "failing"]
    CALLS.clear()
    query = "mutation { first second after: second }"
    assert _answer(compiled, query, None) == _answer(plain, query, None)
    assert CALLS == ["first", "second", "second"] * 2


@pytest.mark.parametrize(
    "query",
    [
        "query($yes: Boolean!) { items { id label @include(if: $yes) } }",
        "{ __schema { queryType { name } } }",
        '{ ...Root } fragment Root on Query { __type(name: "Item") { name } }',
    ],
)
def test_operations_with_directives_or_introspection_keep_graphql_core(query: str) -> None:
    plain, compiled = _schemas()
    variables = {"yes": False}
    assert _answer(compiled, query, variables) == _answer(plain, query, variables)
    assert _plans(compiled).plans() == [None]


class CountingResolves(SchemaExtension):
    """An extension with a resolve hook: graphql-core must run it for every field."""

    seen: list[str] = []

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        CountingResolves.seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


def test_resolver_middleware_keeps_graphql_core() -> None:
    schema = strawberry.Schema(query=Query, extensions=[CountingResolves])
    assert with_compiled_execution(schema, enabled=True) is None
    CountingResolves.seen.clear()
    result = asyncio.run(schema.execute("{ sad }"))
    assert result.data == {"sad": "SAD"}
    assert CountingResolves.seen == ["sad"]
    assert len(_plans(schema)) == 0  # never consulted


def test_switch_and_idempotence(monkeypatch: pytest.MonkeyPatch) -> None:
    schema = strawberry.Schema(query=Query)
    monkeypatch.setenv("CHORUS_COMPILED_EXECUTION", "0")
    assert with_compiled_execution(schema) == "switched off"
    assert not issubclass(schema.execution_context_class, CompiledExecution)
    monkeypatch.delenv("CHORUS_COMPILED_EXECUTION")
    assert with_compiled_execution(schema) is None
    first = schema.execution_context_class
    assert with_compiled_execution(schema) is None
    assert schema.execution_context_class is first  # not wrapped twice


@strawberry.type
class Shelf:
    shelf_label: str  # `shelfLabel` in the schema

    @strawberry.field
    def computed(self) -> str:
        return self.shelf_label.upper()


@strawberry.type
class Box:
    size: int


@strawberry.type
class StoreQuery:
    @strawberry.field
    def shelf(self) -> Shelf:
        return Shelf(shelf_label="top")

    @strawberry.field
    def box(self) -> Box:
        return cast(Box, {"size": 3})  # only a default resolver reading keys reads it


def test_basic_fields_are_read_as_attributes_by_their_python_name() -> None:
    plain, compiled = strawberry.Schema(query=StoreQuery), strawberry.Schema(query=StoreQuery)
    assert with_compiled_execution(compiled, enabled=True) is None
    query = "{ shelf { shelfLabel computed } }"
    assert _answer(compiled, query, None) == _answer(plain, query, None)
    (shelf,) = _plans(compiled).plans()[0].root_fields
    assert shelf.attribute is None  # a resolver
    (fields,) = shelf.children.values()
    assert {f.name: f.attribute for f in fields} == {"shelfLabel": "shelf_label", "computed": None}


def _by_key(source: Any, name: str) -> Any:
    return source[name]


def test_a_schema_with_its_own_default_resolver_keeps_it() -> None:
    schema = strawberry.Schema(query=StoreQuery, config=StrawberryConfig(default_resolver=_by_key))
    assert with_compiled_execution(schema, enabled=True) is None
    assert _answer(schema, "{ box { size } }", None) == ({"box": {"size": 3}}, [])
    (box,) = _plans(schema).plans()[0].root_fields
    assert [f.attribute for f in next(iter(box.children.values()))] == [None]
