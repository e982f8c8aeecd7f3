"""Fuzzing the router (Apollo's robustness invariant): never a 5xx, never an unhandled
exception, every error a well-formed GraphQL error.

Operations come from hypothesis-graphql (valid ones, and invalid ones in its
negative mode) over the router's API schema; raw request bodies come from
hypothesis JSON and byte strategies. Generation is seeded, so a run is
repeatable; the examples are drawn first and then sent through the router
(hypothesis cannot drive an async test with function fixtures).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from tests.helpers.hardening_harness import Harness

POLICY = {
    "MAX_DEPTH_LIMIT",
    "MAX_HEIGHT_LIMIT",
    "MAX_ALIASES_LIMIT",
    "MAX_ROOT_FIELDS_LIMIT",
    "MAX_REPEATED_FIELDS_LIMIT",
}


def _draw(strategy: st.SearchStrategy[Any], n: int, at: int) -> list[Any]:
    out: list[Any] = []

    @seed(at)
    @settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out


def _check(resp: Any, sent: Any) -> dict[str, Any] | list[Any]:
    assert resp.status_code < 500, (sent, resp.status_code, resp.text)
    body = orjson.loads(resp.content)
    for b in body if isinstance(body, list) else [body]:
        assert isinstance(b, dict), (sent, body)
        assert "data" in b or "errors" in b, (sent, b)
        for err in b.get("errors", []):
            assert isinstance(err.get("message"), str) and err["message"], (sent, err)
            code = err.get("extensions", {}).get("code")
            assert isinstance(code, str), (sent, err)
            if code in ("SUBGRAPH_BAD_RESPONSE", "NON_NULL_VIOLATION", "INVALID_VALUE"):
                assert isinstance(err.get("path"), list), (sent, err)
    return body


@pytest.fixture
def no_error_logs(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.WARNING)
    yield
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


async def test_fuzz_valid_operations(router: Harness, no_error_logs: None) -> None:
    schema = router.router.snapshot.documents.schema
    queries = _draw(from_schema(schema, allow_x00=False), 100, 1)
    queries += _draw(from_schema(schema, fields=["addReview"], allow_x00=False), 15, 2)
    seen_data = 0
    for q in queries:
        resp = await router.post(q)
        body = _check(resp, q)
        assert isinstance(body, dict)
        found = {e.get("extensions", {}).get("code") for e in body.get("errors", [])}
        assert "GRAPHQL_VALIDATION_FAILED" not in found, (q, body)
        assert "GRAPHQL_PARSE_FAILED" not in found, (q, body)
        if resp.status_code == 400:
            assert found <= POLICY, (q, body)
        else:
            seen_data += body.get("data") is not None
    assert seen_data > len(queries) // 2  # most valid operations are answered


async def test_fuzz_invalid_operations(router: Harness, no_error_logs: None) -> None:
    schema = router.router.snapshot.documents.schema
    queries = _draw(from_schema(schema, mode=Mode.NEGATIVE), 100, 3)
    queries += _draw(st.text(max_size=200), 100, 4)
    valid = _draw(from_schema(schema, allow_x00=False), 50, 5)
    cuts = _draw(
        st.tuples(st.sampled_from(valid), st.integers(0, 400), st.text(max_size=3)), 100, 6
    )
    queries += [q[:i] + junk + q[i:] for q, i, junk in cuts]
    for q in queries:
        _check(await router.post(q), q)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
REQUEST = st.fixed_dictionaries(
    {},
    optional={
        "query": st.one_of(st.text(max_size=40), JSON, st.just("{ version }")),
        "variables": JSON,
        "operationName": JSON,
        "extensions": st.one_of(JSON, st.fixed_dictionaries({"persistedQuery": JSON})),
    },
)


async def test_fuzz_request_bodies(router: Harness, no_error_logs: None) -> None:
    bodies = [
        json.dumps(b).encode()
        for b in _draw(REQUEST | JSON | st.lists(REQUEST, max_size=12), 200, 7)
    ]
    bodies += _draw(st.binary(max_size=100), 100, 8)
    headers = {"content-type": "application/json"}
    for raw in bodies:
        resp = await router.client.post("/graphql", content=raw, headers=headers)
        _check(resp, raw)
