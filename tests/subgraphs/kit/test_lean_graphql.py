"""The lean POST path answers exactly as strawberry's view does, and hands it everything else.

Every case is sent to two apps built from the same schema code: one with the lean path
(the default) and one with it switched off (`CHORUS_LEAN_GRAPHQL=0`, strawberry's view for
every request). Status, content type, extra headers and the JSON answer must agree, and
the calls into the lean app's strawberry view are counted, so each case also says which
path answered it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator, MutableMapping
from dataclasses import dataclass
from typing import Any

import pytest
import strawberry
from starlette.background import BackgroundTask
from starlette.testclient import TestClient
from strawberry.asgi import GraphQL
from strawberry.extensions import MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from subgraphs.kit import create_app, overloaded, user_error
from subgraphs.kit.lean_graphql import LeanGraphQL, encode_response, lean_unsupported_reason

BACKGROUND_RUNS: list[str] = []


@strawberry.federation.type(keys=["id"])
class Item:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Item:
        return Item(id=id, name=f"item {id}")


@strawberry.type
class Entry:
    id: int

    @strawberry.field
    def name(self) -> str | None:
        if self.id == 2:
            raise user_error(f"entry {self.id} is hidden", "FORBIDDEN", entry=self.id)
        return f"entry {self.id}"

    @strawberry.field
    def strict(self) -> str:  # non-null: an error nulls the whole entry
        raise ValueError("strict failed")


@strawberry.type
class Query:
    @strawberry.field
    async def greet(self, name: str, times: int = 1) -> str:
        await asyncio.sleep(0)
        return " ".join([f"hello {name}"] * times)

    @strawberry.field
    def entries(self, n: int) -> list[Entry]:
        return [Entry(id=i) for i in range(n)]

    @strawberry.field
    def busy(self) -> str | None:
        raise overloaded("model m is overloaded: 3 requests queued (limit 2); retry later")

    @strawberry.field
    def crash(self) -> int:
        raise RuntimeError("boom")

    @strawberry.field
    def with_header(self, info: Info) -> str:
        response = info.context["response"]
        response.headers["x-answered-by"] = "resolver"
        response.status_code = 203
        response.background = BackgroundTask(BACKGROUND_RUNS.append, "ran")
        return "ok"

    @strawberry.field
    async def echo_body(self, info: Info) -> str:
        return (await info.context["request"].body()).decode()

    @strawberry.field
    def health_url(self, info: Info) -> str:
        return str(info.context["request"].url_for("health"))

    @strawberry.field
    def extensions_seen(self, info: Info) -> str:
        return json.dumps(info._raw_info.operation_extensions, sort_keys=True)  # type: ignore[attr-defined]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def bump(self, by: int) -> int:
        return by + 1


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncIterator[int]:
        yield 1


def _schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(
        query=Query, mutation=Mutation, subscription=Subscription, types=[Item]
    )


class CountingView:
    """Strawberry's view, counting the requests handed to it."""

    def __init__(self, view: GraphQL) -> None:
        self._view = view
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._view, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self._view(scope, receive, send)


@dataclass
class Pair:
    lean: TestClient
    plain: TestClient
    view: CountingView  # the lean app's strawberry view


@pytest.fixture
def pair(monkeypatch: pytest.MonkeyPatch) -> Iterator[Pair]:
    lean_app = create_app(_schema(), name="things")
    assert lean_app.state.lean.enabled
    monkeypatch.setenv("CHORUS_LEAN_GRAPHQL", "0")
    plain_app = create_app(_schema(), name="things")
    assert not plain_app.state.lean.enabled
    monkeypatch.delenv("CHORUS_LEAN_GRAPHQL")
    view = lean_app.state.lean.view = CountingView(lean_app.state.lean.view)
    with TestClient(lean_app) as lean, TestClient(plain_app) as plain:
        yield Pair(lean, plain, view)


def _same(pair: Pair, method: str = "POST", **request: Any) -> Any:
    """Send one request to both apps; they must answer alike. Returns the lean answer."""
    ours = pair.lean.request(method, "/graphql", **request)
    theirs = pair.plain.request(method, "/graphql", **request)
    assert ours.status_code == theirs.status_code, (ours.text, theirs.text)
    assert ours.headers.get("content-type") == theirs.headers.get("content-type")
    assert ours.headers.get("x-answered-by") == theirs.headers.get("x-answered-by")
    if theirs.headers.get("content-type") == "application/json":
        assert ours.json() == theirs.json()
        assert int(ours.headers["content-length"]) == len(ours.content)
    else:
        assert ours.text == theirs.text
    return ours


def _post(pair: Pair, body: Any, *, lean: bool = True, **kwargs: Any) -> dict[str, Any]:
    answer: dict[str, Any] = _on_path(pair, lean, json=body, **kwargs).json()
    return answer


def _on_path(pair: Pair, lean: bool, method: str = "POST", **request: Any) -> Any:
    before = pair.view.calls
    response = _same(pair, method, **request)
    assert (pair.view.calls == before) is lean, "answered by the wrong path"
    return response


def test_variables_and_async_resolvers(pair: Pair) -> None:
    body = {
        "query": "query($n: String!, $t: Int) { greet(name: $n, times: $t) }",
        "variables": {"n": "Ana", "t": 2},
    }
    assert _post(pair, body, lean=True) == {"data": {"greet": "hello Ana hello Ana"}}


def test_operation_name_picks_the_operation(pair: Pair) -> None:
    query = 'query A { greet(name: "a") } query B { greet(name: "b") }'
    assert _post(pair, {"query": query, "operationName": "B"}, lean=True) == {
        "data": {"greet": "hello b"}
    }
    # strawberry runs the first operation when none is named
    assert _post(pair, {"query": query}, lean=True) == {"data": {"greet": "hello a"}}
    anonymous_first = '{ greet(name: "x") } query B { greet(name: "b") }'
    answer = _post(pair, {"query": anonymous_first}, lean=True)
    assert answer["data"] is None and "only defined operation" in answer["errors"][0]["message"]


def test_unknown_operation_name_is_strawberrys_400(pair: Pair) -> None:
    body = {"query": 'query A { greet(name: "a") }', "operationName": "Z"}
    response = _on_path(pair, False, json=body)
    assert response.status_code == 400 and "Z" in response.text


def test_resolver_errors_keep_message_path_locations_and_extensions(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    query = "{ entries(n: 3) { id name } busy }"
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        answer = _post(pair, {"query": query}, lean=True)
    assert answer["data"]["entries"][2] == {"id": 2, "name": None}
    hidden, busy = answer["errors"]
    assert hidden == {
        "message": "entry 2 is hidden",
        "locations": [{"line": 1, "column": query.index("name") + 1}],
        "path": ["entries", 2, "name"],
        "extensions": {"code": "FORBIDDEN", "entry": 2},
    }
    assert busy["path"] == ["busy"] and busy["extensions"] == {"code": "OVERLOADED"}
    # both paths log every error once through strawberry's logger
    logged = [r.getMessage() for r in caplog.records if r.name == "strawberry.execution"]
    assert sum(m.startswith("entry 2 is hidden") for m in logged) == 2
    assert sum("overloaded" in m for m in logged) == 2


def test_non_null_errors_propagate_and_exceptions_become_errors(
    pair: Pair, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        answer = _post(pair, {"query": "{ entries(n: 1) { strict } }"}, lean=True)
        crashed = _post(pair, {"query": "{ crash }"}, lean=True)
    assert answer["data"] is None
    assert answer["errors"][0]["path"] == ["entries", 0, "strict"]
    assert crashed == {
        "data": None,
        "errors": [{"message": "boom", "locations": [{"line": 1, "column": 3}], "path": ["crash"]}],
    }
    boom = [r for r in caplog.records if r.getMessage().startswith("boom")]
    assert len(boom) == 2 and all(r.exc_info for r in boom)  # the traceback is logged


def test_validation_and_variable_errors(pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="strawberry.execution"):
        for _ in range(2):  # the second time from the lean path's cache
            invalid = _post(pair, {"query": "{ greet(name: 1) nope }"}, lean=True)
            assert invalid["data"] is None
            assert [e["message"] for e in invalid["errors"]] == [
                "String cannot represent a non string value: 1",
                "Cannot query field 'nope' on type 'Query'.",
            ]
    assert len([r for r in caplog.records if r.name == "strawberry.execution"]) == 8
    wrong_type = {"query": "query($n: String!) { greet(name: $n) }", "variables": {"n": 5}}
    answer = _post(pair, wrong_type, lean=True)
    assert answer["data"] is None and "$n" in answer["errors"][0]["message"]
    huge = {"query": 'query($t: Int) { greet(name: "a", times: $t) }', "variables": {"t": 2**70}}
    assert "non 32-bit" in _post(pair, huge, lean=True)["errors"][0]["message"]


def test_mutations_federation_and_extensions(pair: Pair) -> None:
    assert _post(pair, {"query": "mutation { bump(by: 41) }"}, lean=True) == {"data": {"bump": 42}}
    entities = {
        "query": "query($r: [_Any!]!) { _entities(representations: $r) { ... on Item { name } } }",
        "variables": {"r": [{"__typename": "Item", "id": "3"}]},
    }
    assert _post(pair, entities, lean=True) == {"data": {"_entities": [{"name": "item 3"}]}}
    sdl = _post(pair, {"query": "{ _service { sdl } }"}, lean=True)
    assert "type Item" in sdl["data"]["_service"]["sdl"]
    seen = _post(pair, {"query": "{ extensionsSeen }", "extensions": {"k": [1]}}, lean=True)
    assert json.loads(seen["data"]["extensionsSeen"]) == {"k": [1]}


def test_the_context_response_and_request_work_as_in_strawberry(pair: Pair) -> None:
    BACKGROUND_RUNS.clear()
    response = _same(pair, json={"query": "{ withHeader }"})
    assert response.status_code == 203 and response.headers["x-answered-by"] == "resolver"
    assert BACKGROUND_RUNS == ["ran", "ran"]
    body = {"query": "{ echoBody }"}
    assert json.loads(_post(pair, body, lean=True)["data"]["echoBody"]) == body
    url = _post(pair, {"query": "{ healthUrl }"}, lean=True)["data"]["healthUrl"]
    assert url == "http://testserver/health"


def test_non_ascii_and_charset(pair: Pair) -> None:
    body = {"query": "query($n: String!) { greet(name: $n) }", "variables": {"n": "Zoë 東京 😀"}}
    headers = {"content-type": "application/json; charset=utf-8"}
    answer = _post(pair, body, lean=True, headers=headers)
    assert answer == {"data": {"greet": "hello Zoë 東京 😀"}}


JSON = {"content-type": "application/json"}
GREET = b'{"query": "{ greet(name: \\"a\\") }"'


@pytest.mark.parametrize(
    ("content", "headers", "lean"),
    [
        (b"{not json", JSON, False),
        (b"[1, 2]", JSON, False),
        (b"[" + GREET + b"}]", JSON, False),  # a batch: batching is off
        (b'{"variables": {}}', JSON, False),  # no query
        (b'{"query": ""}', JSON, False),
        (b'{"query": 7}', JSON, False),
        (b'{"query": "{ greet }", "variables": [1]}', JSON, False),
        (b'{"query": "{ greet }", "extensions": 1}', JSON, False),
        (b'{"query": "{ greet }", "operationName": 1}', JSON, False),
        (GREET + b"}", {"content-type": "text/plain"}, False),
        (GREET + b"}", {"content-type": "Application/JSON"}, False),  # strawberry: case matters
        (GREET + b"}", {}, False),
        (b'{"query": "{ greet(name: \\"a\\") "}', JSON, False),  # a syntax error
        (b'{"query": "subscription { ticks }"}', JSON, False),
        (b"\xef\xbb\xbf" + GREET + b"}", JSON, True),  # json.loads takes a UTF-8 BOM
        (GREET + b', "x": NaN}', JSON, True),  # json.loads takes NaN, so does strawberry
        (b'{"query": "{ greet(name: \\"\\ud800\\") }"}', JSON, False),  # a syntax error
        # a lone surrogate in a variable: orjson refuses it, json.dumps escapes it
        (
            b'{"query": "query($n: String!) { greet(name: $n) }", "variables": {"n": "\\ud800"}}',
            JSON,
            True,
        ),
        (GREET + b"}", {"content-type": "application/json; charset=utf-8"}, True),
        # a streamed answer asked for: strawberry's to negotiate (same answer here)
        (GREET + b"}", {"content-type": "application/json", "accept": "text/event-stream"}, False),
        (GREET + b"}", {"content-type": "application/json", "accept": "multipart/mixed"}, False),
        (GREET + b"}", {"content-type": "application/json", "accept": "application/json"}, True),
    ],
)
def test_what_the_lean_path_leaves_to_strawberry(
    pair: Pair, content: bytes, headers: dict[str, str], lean: bool
) -> None:
    """Bad bodies, batches, other content types, syntax errors, subscriptions: strawberry's."""
    _on_path(pair, lean, content=content, headers=headers)


def test_get_and_graphiql_stay_strawberrys(pair: Pair) -> None:
    params = {"query": '{ greet(name: "g") }'}
    answer = _on_path(pair, False, "GET", params=params)
    assert answer.json() == {"data": {"greet": "hello g"}}
    page = _on_path(pair, False, "GET", headers={"accept": "text/html"})
    assert "graphiql" in page.text.lower()
    assert _same(pair, "PUT", json=params).status_code == 405


def _json_post_scope() -> dict[str, Any]:
    """An ASGI scope for a JSON POST to /graphql, for tests that drive the app directly."""
    return {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"host", b"t")],
        "scheme": "http",
        "server": ("t", 80),
        "client": ("c", 1),
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }


def test_a_body_in_chunks_and_a_replayed_body() -> None:
    """The lean path reads a body sent in several messages; a fallback gets it replayed."""
    app = create_app(_schema(), name="things")

    async def call(chunks: list[bytes]) -> tuple[int, bytes]:
        messages = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]
        sent: list[MutableMapping[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            sent.append(message)

        await app(_json_post_scope(), receive, send)
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    body = json.dumps({"query": '{ greet(name: "chunked") }'}).encode()
    status, answer = asyncio.run(call([body[:7], body[7:20], body[20:]]))
    assert status == 200 and json.loads(answer) == {"data": {"greet": "hello chunked"}}
    batch = b"[" + body + b"]"  # strawberry's: batching is off
    status, answer = asyncio.run(call([batch[:9], batch[9:]]))
    assert (status, answer) == (400, b"Batching is not enabled")


def _alike(view: GraphQL, body: dict[str, Any]) -> dict[str, Any]:
    """POST `body` to `view` behind the lean path and to `view` alone: the same answer."""
    lean = LeanGraphQL(view)
    assert lean.enabled
    counting = lean.view = CountingView(view)  # type: ignore[assignment]
    answer = TestClient(lean).post("/graphql", json=body)  # type: ignore[arg-type]
    expected = TestClient(view).post("/graphql", json=body)
    assert counting.calls == 0, "answered by strawberry's view"
    assert (answer.status_code, answer.json()) == (expected.status_code, expected.json())
    result: dict[str, Any] = answer.json()
    return result


def test_schema_extensions_and_process_result_are_strawberrys_own() -> None:
    """The lean path runs the schema's own pipeline and the view's public hooks."""
    limited = strawberry.Schema(query=Query, extensions=[lambda: MaxTokensLimiter(10)])
    refused = _alike(GraphQL(limited), {"query": '{ a: greet(name: "a") b: greet(name: "b") }'})
    assert refused["data"] is None and "token" in refused["errors"][0]["message"]
    assert _alike(GraphQL(limited), {"query": '{ greet(name: "a") }'}) == {
        "data": {"greet": "hello a"}
    }

    class Custom(GraphQL):
        async def process_result(self, request: Any, result: Any) -> Any:
            answer = await super().process_result(request, result)
            answer["extensions"] = {"custom": True}
            return answer

    custom = _alike(Custom(_schema()), {"query": '{ greet(name: "c") }'})
    assert custom == {"data": {"greet": "hello c"}, "extensions": {"custom": True}}


def test_the_lean_path_steps_aside_for_what_it_cannot_reproduce() -> None:
    class Encoder(GraphQL):
        def encode_json(self, data: object) -> str:
            return json.dumps(data, indent=2)

    assert "encode_json" in (lean_unsupported_reason(Encoder(_schema())) or "")
    incremental = strawberry.Schema(
        query=Query, config=StrawberryConfig(enable_experimental_incremental_execution=True)
    )
    assert "incremental" in (lean_unsupported_reason(GraphQL(incremental)) or "")

    class WithContext(GraphQL):  # a custom context is what the subgraphs do: still lean
        async def get_context(self, request: Any, response: Any) -> Any:
            return {"request": request, "response": response, "service": object()}

    assert lean_unsupported_reason(WithContext(_schema())) is None


def test_responses_encode_like_json_dumps() -> None:
    data = {"data": {"s": "Zoë", "f": [0.1, 1e-05, 1e16, 7.0], "n": None, "b": True, "i": -3}}
    assert json.loads(encode_response(data)) == data

    class Text(str):
        pass

    # what orjson would encode differently is left to json.dumps, with its outcome
    assert encode_response({"data": {"t": Text("x")}}) == b'{"data":{"t":"x"}}'

    @dataclass
    class Opaque:
        x: int

    with pytest.raises(TypeError):
        encode_response({"data": {"o": Opaque(1)}})


def test_the_answer_leaves_before_the_access_log_line() -> None:
    """On a transport that sends a loop iteration's writes at its end (the coalescing loop
    subgraphs are served on), the answer goes out before the work after it: the flush the
    answer's write schedules runs before the access log line is written (here written as
    its request ends, not batched: the batch comes later still)."""
    app = create_app(_schema(), name="things", access_log_flush_s=0)
    events: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            events.append("logged")

    async def call() -> None:
        loop = asyncio.get_running_loop()
        body = json.dumps({"query": '{ greet(name: "x") }'}).encode()
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":  # the coalescing write's flush
                loop.call_soon(events.append, "flushed")

        await app(_json_post_scope(), receive, send)

    access = logging.getLogger("chorus.access")
    handler, level = Recorder(), access.level
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        asyncio.run(call())
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    assert events == ["flushed", "logged"]
