"""Transport and HTTP bad inputs (security.md 5.1): each gets an exact status and code."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.helpers.hardening_harness import Harness, MakeRouter, codes

JSON = {"content-type": "application/json"}
PREFLIGHT = {"apollo-require-preflight": "true"}


async def _raw(router: Harness, content: bytes, headers: dict[str, str] | None = None) -> tuple:
    resp = await router.client.post("/graphql", content=content, headers=headers or JSON)
    return resp.status_code, resp.json()


# ----------------------------------------------------------------- body size
async def test_body_over_the_limit_is_413_from_content_length(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"http_max_request_bytes": 1000}})
    status, body = await _raw(router, b'{"query": "' + b" " * 2000 + b'{ version }"}')
    assert status == 413
    assert codes(body) == ["PAYLOAD_TOO_LARGE"]


async def test_chunked_body_over_the_limit_is_413_without_reading_it_all(
    make_router: MakeRouter,
) -> None:
    router = await make_router({"limits": {"http_max_request_bytes": 1000}})
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"query": "'
        for _ in range(1000):  # 1 MB if read to the end
            sent += 1
            yield b" " * 1000

    resp = await router.client.post("/graphql", content=chunks(), headers=JSON)
    assert resp.status_code == 413
    assert codes(resp.json()) == ["PAYLOAD_TOO_LARGE"]
    assert sent < 10  # the router stopped reading after the limit


async def test_body_at_the_limit_is_served(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"http_max_request_bytes": 1000}})
    content = b'{"query": "{ version }"' + b" " * (1000 - 24) + b"}"
    assert len(content) == 1000
    status, body = await _raw(router, content)
    assert (status, body) == (200, {"data": {"version": "p1"}})


# ---------------------------------------------------------------- JSON shape
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "request body is empty"),
        (b"   \n", "request body is empty"),
        (b"null", "a GraphQL request must be a JSON object"),
        (b"[]", "batched request is empty"),
        (b'"{ version }"', "a GraphQL request must be a JSON object"),
        (b"123", "a GraphQL request must be a JSON object"),
        (b"true", "a GraphQL request must be a JSON object"),
        (b"{", "request body is not valid JSON"),
        (b'{"query": "{ version', "request body is not valid JSON"),
        (b'{"query": "{ version }"} trailing', "request body is not valid JSON"),
        (b'{"query": "\xff\xfe"}', "request body is not valid JSON"),
        (b'{"query": NaN}', "request body is not valid JSON"),
        (b'{"query": 42}', "'query' must be a string"),
        (b'{"query": {"a": 1}}', "'query' must be a string"),
        (b'{"query": ["{ version }"]}', "'query' must be a string"),
        (b'{"query": "{ version }", "variables": "x"}', "'variables' must be an object"),
        (b'{"query": "{ version }", "variables": [1]}', "'variables' must be an object"),
        (b'{"query": "{ version }", "operationName": 7}', "'operationName' must be a string"),
        (b'{"query": "{ version }", "extensions": "x"}', "'extensions' must be an object"),
        (b'{"query": "{ ver\\u0000sion }"}', "'query' contains a NUL character"),
    ],
)
async def test_malformed_bodies_are_400(router: Harness, content: bytes, message: str) -> None:
    status, body = await _raw(router, content)
    assert status == 400
    assert codes(body) == ["BAD_REQUEST"]
    assert body["errors"][0]["message"].startswith(message)
    assert "data" not in body


async def test_deeply_nested_variables_json_is_400_not_500(router: Harness) -> None:
    nested = b'{"a":' * 5000 + b"1" + b"}" * 5000
    content = b'{"query": "query($x: String) { version }", "variables": {"x": ' + nested + b"}}"
    status, body = await _raw(router, content)
    assert status == 400
    assert codes(body) == ["BAD_REQUEST"]


async def test_duplicate_keys_last_one_wins(router: Harness) -> None:
    status, body = await _raw(router, b'{"query": "{ nope }", "query": "{ version }"}')
    assert (status, body) == (200, {"data": {"version": "p1"}})


async def test_missing_query_is_a_request_error(router: Harness) -> None:
    # GraphQL over HTTP: 400 for application/graphql-response+json, 200 for legacy JSON
    gql = {**JSON, "accept": "application/graphql-response+json"}
    status, body = await _raw(router, b'{"variables": {}}', gql)
    assert status == 400
    assert codes(body) == ["BAD_REQUEST"]
    status, body = await _raw(router, b'{"variables": {}}')
    assert status == 200
    assert codes(body) == ["BAD_REQUEST"]


# ---------------------------------------------------------------------- CSRF
@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_simple_content_types_without_preflight_header_are_csrf(
    router: Harness, content_type: str
) -> None:
    status, body = await _raw(router, b'{"query": "{ version }"}', {"content-type": content_type})
    assert status == 400
    assert codes(body) == ["CSRF_ERROR"]
    assert "apollo-require-preflight" in body["errors"][0]["message"]


async def test_post_without_content_type_is_csrf(router: Harness) -> None:
    resp = await router.client.post("/graphql", content=b'{"query": "{ version }"}')
    assert resp.status_code == 400
    assert codes(resp.json()) == ["CSRF_ERROR"]


async def test_preflight_header_passes_csrf_but_text_plain_is_415(router: Harness) -> None:
    headers = {"content-type": "text/plain", **PREFLIGHT}
    status, body = await _raw(router, b'{"query": "{ version }"}', headers)
    assert status == 415
    assert codes(body) == ["INVALID_CONTENT_TYPE_HEADER"]


async def test_non_json_content_type_is_415(router: Harness) -> None:
    status, body = await _raw(router, b"<q/>", {"content-type": "application/xml"})
    assert status == 415
    assert codes(body) == ["INVALID_CONTENT_TYPE_HEADER"]


async def test_get_query_without_preflight_header_is_csrf(router: Harness) -> None:
    resp = await router.client.get("/graphql", params={"query": "{ version }"})
    assert resp.status_code == 400
    assert codes(resp.json()) == ["CSRF_ERROR"]


async def test_get_query_with_preflight_header_is_served(router: Harness) -> None:
    resp = await router.client.get(
        "/graphql", params={"query": "{ version }"}, headers={"x-apollo-operation-name": "V"}
    )
    assert (resp.status_code, resp.json()) == (200, {"data": {"version": "p1"}})


async def test_get_mutation_is_405(router: Harness) -> None:
    resp = await router.client.get(
        "/graphql",
        params={"query": 'mutation { addReview(body: "x") { id } }'},
        headers=PREFLIGHT,
    )
    assert resp.status_code == 405
    assert codes(resp.json()) == ["BAD_REQUEST"]


async def test_get_with_invalid_variables_json_is_400(router: Harness) -> None:
    resp = await router.client.get(
        "/graphql", params={"query": "{ version }", "variables": "{nope"}, headers=PREFLIGHT
    )
    assert resp.status_code == 400
    assert codes(resp.json()) == ["BAD_REQUEST"]


async def test_csrf_is_off_in_dev_mode(make_router: MakeRouter) -> None:
    router = await make_router({"dev": True})
    resp = await router.client.get("/graphql", params={"query": "{ version }"})
    assert (resp.status_code, resp.json()) == (200, {"data": {"version": "p1"}})


# ----------------------------------------------------------------- negotiation
async def test_accept_html_only_is_406(router: Harness) -> None:
    resp = await router.post("{ version }", headers={"accept": "text/html"})
    assert resp.status_code == 406
    assert codes(resp.json()) == ["INVALID_ACCEPT_HEADER"]


async def test_accept_any_gets_json(router: Harness) -> None:
    resp = await router.post("{ version }", headers={"accept": "*/*"})
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/json"
    assert resp.json() == {"data": {"version": "p1"}}


async def test_graphiql_is_off_in_production_and_on_in_dev(make_router: MakeRouter) -> None:
    prod = await make_router()
    resp = await prod.client.get("/graphql", headers={"accept": "text/html"})
    assert "<html" not in resp.text
    assert resp.status_code == 406
    dev = await make_router({"dev": True})
    resp = await dev.client.get("/graphql", headers={"accept": "text/html"})
    assert resp.status_code == 200 and "<html" in resp.text


# ------------------------------------------------------------------ batching
async def test_batch_over_the_maximum_is_rejected(router: Harness) -> None:
    resp = await router.client.post("/graphql", json=[{"query": "{ version }"}] * 11)
    assert resp.status_code == 400
    assert codes(resp.json()) == ["BATCH_LIMIT_EXCEEDED"]


async def test_batch_answers_each_operation_on_its_own(router: Harness) -> None:
    deep = "{ products { related { related { related { related { id } } } } } }"
    members = [
        {"query": "{ version }"},
        {"query": "{ nope }"},
        {"query": '{ review(id: "r1") { body } }'},
    ]
    resp = await router.client.post("/graphql", json=[*members, {"query": 7}])
    # a malformed member makes the whole batch malformed
    assert resp.status_code == 400
    assert codes(resp.json()) == ["BAD_REQUEST"]
    resp = await router.client.post("/graphql", json=[*members, {"query": deep}])
    assert resp.status_code == 200
    out = resp.json()
    assert out[0] == {"data": {"version": "p1"}}
    assert codes(out[1]) == ["GRAPHQL_VALIDATION_FAILED"]
    assert out[2] == {"data": {"review": {"body": "solid"}}}
    assert out[3]["data"]["products"][0]["related"][0]["related"][0]["related"][0]["related"]


async def test_limits_apply_to_each_operation_of_a_batch(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"max_depth": 2}})
    resp = await router.client.post(
        "/graphql",
        json=[{"query": "{ version }"}, {"query": "{ products { related { id } } }"}],
    )
    out = resp.json()
    assert out[0] == {"data": {"version": "p1"}}
    assert codes(out[1]) == ["MAX_DEPTH_LIMIT"]


async def test_batching_can_be_disabled(make_router: MakeRouter) -> None:
    router = await make_router({"limits": {"max_batch_size": 0}})
    resp = await router.client.post("/graphql", json=[{"query": "{ version }"}])
    assert resp.status_code == 400
    assert codes(resp.json()) == ["BATCHING_NOT_ENABLED"]


# --------------------------------------------------------------- rate limits
async def test_rate_limit_per_client_with_retry_after(make_router: MakeRouter) -> None:
    router = await make_router(
        {"traffic": {"rate_limit": {"capacity": 3, "interval_s": 30, "key_header": "x-api-key"}}}
    )
    for _ in range(3):
        assert (await router.post("{ version }")).status_code == 200
    resp = await router.post("{ version }")
    assert resp.status_code == 429
    assert codes(resp.json()) == ["REQUEST_RATE_LIMITED"]
    assert 1 <= int(resp.headers["retry-after"]) <= 10
    # another client key has its own bucket
    other = await router.post("{ version }", headers={"x-api-key": "k2"})
    assert other.status_code == 200


async def test_rate_limit_counts_each_operation_of_a_batch(make_router: MakeRouter) -> None:
    router = await make_router({"traffic": {"rate_limit": {"capacity": 3, "interval_s": 30}}})
    resp = await router.client.post("/graphql", json=[{"query": "{ version }"}] * 2)
    assert resp.status_code == 200
    resp = await router.client.post("/graphql", json=[{"query": "{ version }"}] * 2)
    assert resp.status_code == 429
    assert codes(resp.json()) == ["REQUEST_RATE_LIMITED"]


# ---------------------------------------------------------------------- CORS
async def test_cors_allows_listed_origins_only(make_router: MakeRouter) -> None:
    router = await make_router({"security": {"cors": {"origins": ["https://app.example.com"]}}})
    pre = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }
    ok = await router.client.options(
        "/graphql", headers={"origin": "https://app.example.com", **pre}
    )
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://app.example.com"
    bad = await router.client.options("/graphql", headers={"origin": "https://evil.example", **pre})
    assert bad.status_code == 400
    assert "access-control-allow-origin" not in bad.headers
    resp = await router.post("{ version }", headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in resp.headers


async def test_no_cors_headers_by_default(router: Harness) -> None:
    resp = await router.post("{ version }", headers={"origin": "https://app.example.com"})
    assert resp.status_code == 200
    assert "access-control-allow-origin" not in resp.headers
