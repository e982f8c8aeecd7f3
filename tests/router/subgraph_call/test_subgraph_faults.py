"""Subgraph faults (security.md 5.4) against a real socket server that misbehaves.

Query `{ products { id name } review(id: "r1") { body } }` reaches both
subgraphs in parallel; when `reviews` fails, `products` must still come back
(HTTP 200, partial data) with one error on `review` carrying a message, a
path and a stable code.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from tests.helpers.hardening_harness import Harness, MakeRouter, codes
from tests.helpers.hardening_server import SubgraphServer, drop, free_port, html, reply, slow

BOTH = '{ products { id name } review(id: "r1") { body } }'
PRODUCTS = [{"id": "1", "name": "Table"}, {"id": "2", "name": "Chair"}]
DEV = {"dev": True}


async def _partial(router: Harness, code: str, query: str = BOTH) -> dict[str, Any]:
    resp = await router.post(query)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["data"] == {"products": PRODUCTS, "review": None}
    assert codes(body) == [code]
    (err,) = body["errors"]
    assert err["path"] == ["review"] or err["path"] == []
    assert err["extensions"]["serviceName"] == "reviews"
    return body


async def test_connection_refused(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router(DEV, reviews=f"http://127.0.0.1:{free_port()}/reviews")
    body = await _partial(router, "SUBGRAPH_FETCH_FAILED")
    assert "request failed" in body["errors"][0]["message"]


async def test_connection_closed_without_an_answer(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(DEV)
    shop.sticky["reviews"] = drop()
    await _partial(router, "SUBGRAPH_FETCH_FAILED")


async def test_subgraph_slower_than_its_timeout(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router({"dev": True, "subgraph_timeout_s": 0.3})
    shop.sticky["reviews"] = slow(5)
    t = time.perf_counter()
    body = await _partial(router, "SUBGRAPH_TIMEOUT")
    assert time.perf_counter() - t < 2.0
    assert "0.3s" in body["errors"][0]["message"]


async def test_per_subgraph_timeout_override(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router(
        {"dev": True, "traffic": {"subgraphs": {"reviews": {"timeout_s": 0.2}}}}
    )
    shop.sticky["reviews"] = slow(0.6)
    shop.sticky["products"] = slow(0.4)  # slower than reviews' timeout, within its own
    await _partial(router, "SUBGRAPH_TIMEOUT")


async def test_answer_after_the_deadline_is_dropped_and_the_pool_recovers(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router({"dev": True, "subgraph_timeout_s": 0.2})
    shop.faults["reviews"] = [slow(0.5)]
    await _partial(router, "SUBGRAPH_TIMEOUT")
    await asyncio.sleep(0.4)  # the late answer arrives on the abandoned connection
    body = await router.data(BOTH)
    assert body == {"data": {"products": PRODUCTS, "review": {"body": "solid"}}}


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (html(500), "HTTP 500, body is not JSON"),
        (html(200), "HTTP 200, body is not JSON"),
        (reply(200, b""), "HTTP 200, body is not JSON"),
        (reply(200, b"{}"), "not a GraphQL response"),
        (reply(200, b"[1, 2]"), "not a GraphQL response"),
        (reply(200, b'{"data": {"review": {"bo'), "body is not JSON"),
        (reply(200, b'{"data": null, "errors": "boom"}'), "malformed GraphQL response"),
        (reply(200, b'{"data": [1], "errors": []}'), "malformed GraphQL response"),
        (reply(502, b"Bad Gateway", "text/plain"), "HTTP 502, body is not JSON"),
    ],
    ids=[
        "500-html",
        "200-html",
        "200-empty",
        "200-{}",
        "200-list",
        "truncated",
        "errors-not-list",
        "data-not-object",
        "502-text",
    ],
)
async def test_bodies_that_are_not_graphql(
    make_router: MakeRouter, shop: SubgraphServer, fault: Any, message: str
) -> None:
    router = await make_router(DEV)
    shop.sticky["reviews"] = fault
    body = await _partial(router, "SUBGRAPH_BAD_RESPONSE")
    assert message in body["errors"][0]["message"]


async def test_500_with_graphql_errors_keeps_them(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(DEV)
    err = {"message": "db down", "path": ["review"], "extensions": {"code": "DB"}}
    shop.sticky["reviews"] = reply(500, json.dumps({"data": None, "errors": [err]}))
    body = await _partial(router, "DB")
    assert body["errors"][0]["message"] == "db down"


async def test_data_null_without_errors(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router(DEV)
    shop.sticky["reviews"] = reply(200, b'{"data": null}')
    body = await router.data(BOTH)
    # Changed with issue 18: the null used to come back without an error; now the field
    # the subgraph should have filled carries one.
    assert body["data"] == {"products": PRODUCTS, "review": None}
    (err,) = body["errors"]
    assert err["path"] == ["review"]
    assert err["extensions"] == {"code": "SUBGRAPH_BAD_RESPONSE", "serviceName": "reviews"}


async def test_wrong_types_and_missing_non_null_fields(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(DEV)
    shop.sticky["reviews"] = reply(200, b'{"data": {"review": 5}}')
    body = await router.data(BOTH)
    assert body["data"] == {"products": PRODUCTS, "review": None}
    assert codes(body) == ["INVALID_VALUE"] and body["errors"][0]["path"] == ["review"]
    shop.sticky["reviews"] = reply(200, b'{"data": {"review": {"body": null}}}')
    body = await router.data(BOTH)
    assert body["data"] == {"products": PRODUCTS, "review": None}
    assert codes(body) == ["NON_NULL_VIOLATION"] and body["errors"][0]["path"] == ["review", "body"]


async def test_entity_list_of_the_wrong_length(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(DEV)
    shop.sticky["reviews"] = reply(200, b'{"data": {"_entities": [{"reviewCount": 7}]}}')
    body = await router.data("{ products { id reviewCount } }")
    assert body == {
        "data": {"products": [{"id": "1", "reviewCount": 7}, {"id": "2", "reviewCount": None}]}
    }


async def test_invalid_error_locations_and_paths_are_cleaned(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(DEV)
    err = {"message": "bad", "locations": [{"line": -1, "column": "x"}], "path": "nope"}
    shop.sticky["reviews"] = reply(200, json.dumps({"data": {"review": None}, "errors": [err]}))
    body = await router.data(BOTH)
    (e,) = body["errors"]
    assert "locations" not in e
    assert e["path"] == []  # a path that is not a list of keys is dropped, not split
    assert e["message"] == "bad"


async def test_response_over_the_size_cap(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router({"dev": True, "traffic": {"all": {"max_response_bytes": 100_000}}})
    big = json.dumps({"data": {"review": {"body": "x" * 300_000}}}).encode()
    shop.sticky["reviews"] = reply(200, big)
    body = await _partial(router, "SUBGRAPH_BAD_RESPONSE")
    assert "larger than 100000 bytes" in body["errors"][0]["message"]


# ----------------------------------------------------------- redaction
async def test_production_redacts_subgraph_messages_keeping_code_and_trace_id(
    router: Harness, shop: SubgraphServer
) -> None:
    err = {
        "message": "password=hunter2 at 10.1.2.3",
        "path": ["review"],
        "extensions": {"code": "DB_DOWN", "stack": ["secret.py:1"]},
    }
    shop.sticky["reviews"] = reply(200, json.dumps({"data": {"review": None}, "errors": [err]}))
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    resp = await router.post(BOTH, headers={"traceparent": tp})
    (e,) = resp.json()["errors"]
    assert e == {
        "message": "Subgraph errors redacted",
        "path": ["review"],
        "extensions": {
            "code": "DB_DOWN",
            "serviceName": "reviews",
            "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
        },
    }


async def test_production_redacts_transport_errors_too(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(reviews=f"http://127.0.0.1:{free_port()}/reviews")
    (e,) = (await router.post(BOTH)).json()["errors"]
    assert e["message"] == "Subgraph errors redacted"
    assert "127.0.0.1" not in json.dumps(e)
    assert e["extensions"]["code"] == "SUBGRAPH_FETCH_FAILED"
    assert len(e["extensions"]["traceId"]) == 32


# ------------------------------------------------------------- retries
def _retrying(**retry: Any) -> dict[str, Any]:
    return {
        "dev": True,
        "traffic": {"all": {"retry": {"enabled": True, "backoff_base_s": 0.01, **retry}}},
    }


async def test_query_is_retried_after_503s(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router(_retrying(max_retries=2))
    shop.faults["reviews"] = [reply(503, b"busy", "text/plain"), reply(503, b"busy", "text/plain")]
    body = await router.data(BOTH)
    assert body == {"data": {"products": PRODUCTS, "review": {"body": "solid"}}}
    assert shop.count("reviews") == 3


async def test_retries_stop_at_max_retries(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router(_retrying(max_retries=1))
    shop.sticky["reviews"] = reply(503, b"busy", "text/plain")
    await _partial(router, "SUBGRAPH_BAD_RESPONSE")
    assert shop.count("reviews") == 2


async def test_connection_errors_are_retried(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router(_retrying(max_retries=2))
    shop.faults["reviews"] = [drop()]
    body = await router.data(BOTH)
    assert body["data"]["review"] == {"body": "solid"}
    assert shop.count("reviews") == 2


async def test_mutation_is_never_retried(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router(_retrying(max_retries=3))
    shop.faults["reviews"] = [reply(503, b"busy", "text/plain")]
    resp = await router.post('mutation { addReview(body: "nice") { id } }')
    body = resp.json()
    assert resp.status_code == 200 and body["data"] is None
    assert codes(body) == ["SUBGRAPH_BAD_RESPONSE"]
    assert shop.count("reviews") == 1


async def test_429_honours_retry_after_only_when_enabled(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    limited = reply(429, b"slow down", "text/plain", {"retry-after": "0"})
    router = await make_router(_retrying(on_429=True))
    shop.faults["reviews"] = [limited]
    assert (await router.data(BOTH))["data"]["review"] == {"body": "solid"}
    assert shop.count("reviews") == 2
    shop.reset()
    router = await make_router(_retrying())
    shop.faults["reviews"] = [limited]
    await _partial(router, "SUBGRAPH_BAD_RESPONSE")
    assert shop.count("reviews") == 1


async def test_retry_after_longer_than_allowed_is_not_waited_for(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(_retrying(max_retry_after_s=1))
    shop.faults["reviews"] = [reply(503, b"x", "text/plain", {"retry-after": "120"})]
    t = time.perf_counter()
    await _partial(router, "SUBGRAPH_BAD_RESPONSE")
    assert time.perf_counter() - t < 1.0 and shop.count("reviews") == 1


async def test_no_retries_unless_enabled(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router(DEV)
    shop.faults["reviews"] = [reply(503, b"busy", "text/plain")]
    await _partial(router, "SUBGRAPH_BAD_RESPONSE")
    assert shop.count("reviews") == 1


async def test_retry_budget_caps_retries(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router(_retrying(max_retries=3, budget_ratio=0.0, budget_min_per_s=0.2))
    shop.sticky["reviews"] = reply(503, b"busy", "text/plain")
    for _ in range(3):
        await _partial(router, "SUBGRAPH_BAD_RESPONSE")
    # budget: 0.2/s x 10 s = 2 retries in all, then none
    assert shop.count("reviews") == 3 + 2


# ------------------------------------------------------------- breaker
BREAKER = {
    "dev": True,
    "traffic": {
        "subgraphs": {
            "reviews": {
                "breaker": {"min_requests": 3, "failure_ratio": 0.5, "open_s": 0.3, "window_s": 10}
            }
        }
    },
}


async def test_breaker_opens_fails_fast_probes_and_closes(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(BREAKER)
    policy = router.router.subgraph_clients.policy("reviews")
    shop.sticky["reviews"] = html(500)
    for _ in range(3):
        await _partial(router, "SUBGRAPH_BAD_RESPONSE")
    assert policy.breaker.state == "open"
    # open: fails at once, the subgraph is not called, products still answer
    t = time.perf_counter()
    body = await _partial(router, "SUBGRAPH_FETCH_FAILED")
    assert "circuit breaker open" in body["errors"][0]["message"]
    assert time.perf_counter() - t < 0.2
    assert shop.count("reviews") == 3
    # half-open after open_s: one probe; it fails: open again
    await asyncio.sleep(0.35)
    assert policy.breaker.state == "half_open"
    await _partial(router, "SUBGRAPH_BAD_RESPONSE")
    assert shop.count("reviews") == 4 and policy.breaker.state == "open"
    # the subgraph recovers: the next probe succeeds and closes the breaker
    del shop.sticky["reviews"]
    await asyncio.sleep(0.35)
    body = await router.data(BOTH)
    assert body["data"]["review"] == {"body": "solid"}
    assert policy.breaker.state == "closed"
    assert (await router.data(BOTH))["data"]["review"] == {"body": "solid"}
    assert shop.count("reviews") == 6


async def test_breaker_counts_timeouts_and_only_its_subgraph(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router({**BREAKER, "subgraph_timeout_s": 0.1})
    shop.sticky["reviews"] = slow(1)
    for _ in range(3):
        await _partial(router, "SUBGRAPH_TIMEOUT")
    assert router.router.subgraph_clients.policy("reviews").breaker.state == "open"
    assert router.router.subgraph_clients.policy("products").breaker.state == "closed"


async def test_half_open_allows_a_single_probe(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(BREAKER)
    shop.sticky["reviews"] = html(500)
    for _ in range(3):
        await _partial(router, "SUBGRAPH_BAD_RESPONSE")
    await asyncio.sleep(0.35)
    shop.sticky["reviews"] = slow(0.2)
    results = await asyncio.gather(
        *(router.post(f'{{ review(id: "r{i}") {{ id }} }}') for i in (1, 2, 3, 4))
    )
    bodies = [r.json() for r in results]
    served = [b for b in bodies if b["data"]["review"] is not None]
    assert len(served) == 1  # the probe; the others failed fast while it was out
    assert shop.count("reviews") == 4


# ---------------------------------------------------- dedup and concurrency
async def test_identical_concurrent_queries_share_one_call(
    router: Harness, shop: SubgraphServer
) -> None:
    shop.sticky["reviews"] = slow(0.2)
    results = await asyncio.gather(
        *(router.post('{ review(id: "r1") { body } }') for _ in range(5))
    )
    assert all(r.json() == {"data": {"review": {"body": "solid"}}} for r in results)
    assert shop.count("reviews") == 1


async def test_different_propagated_headers_are_not_deduplicated(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(
        {"traffic": {"headers": {"all": [{"propagate": {"named": "authorization"}}]}}}
    )
    shop.sticky["reviews"] = slow(0.2)
    q = '{ review(id: "r1") { body } }'
    await asyncio.gather(
        router.post(q, headers={"authorization": "Bearer a"}),
        router.post(q, headers={"authorization": "Bearer a"}),
        router.post(q, headers={"authorization": "Bearer b"}),
    )
    assert shop.count("reviews") == 2


async def test_mutations_are_not_deduplicated(router: Harness, shop: SubgraphServer) -> None:
    shop.sticky["reviews"] = slow(0.1)
    q = 'mutation { addReview(body: "same") { body } }'
    await asyncio.gather(router.post(q), router.post(q))
    assert shop.count("reviews") == 2


async def test_concurrency_cap_per_subgraph(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router({"traffic": {"subgraphs": {"reviews": {"max_concurrency": 1}}}})
    shop.sticky["reviews"] = slow(0.05)
    queries = [f'{{ review(id: "r{i}") {{ id }} }}' for i in range(4)]
    results = await asyncio.gather(*(router.post(q) for q in queries))
    assert all(r.status_code == 200 for r in results)
    assert shop.count("reviews") == 4 and shop.max_in_flight["reviews"] == 1


# ------------------------------------------------------------- deadlines
async def test_router_deadline_is_504(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router({"subgraph_timeout_s": 0.5, "traffic": {"router_timeout_s": 0.6}})
    shop.sticky["products"] = slow(0.4)
    shop.sticky["reviews"] = slow(0.4)
    resp = await router.post("{ products { id reviewCount } }")
    assert resp.status_code == 504
    assert codes(resp.json()) == ["GATEWAY_TIMEOUT"]


def test_router_timeout_must_exceed_subgraph_timeouts() -> None:
    from pydantic import ValidationError

    from router.settings import RouterSettings

    with pytest.raises(ValidationError, match="router_timeout_s"):
        RouterSettings.model_validate(
            {"subgraph_timeout_s": 30, "traffic": {"router_timeout_s": 30}}
        )
    with pytest.raises(ValidationError, match="router_timeout_s"):
        RouterSettings.model_validate(
            {"traffic": {"router_timeout_s": 40, "subgraphs": {"gen": {"timeout_s": 50}}}}
        )


async def test_cancelled_request_leaves_no_tasks_behind(
    router: Harness, shop: SubgraphServer
) -> None:
    shop.sticky["reviews"] = slow(5)
    before = len(asyncio.all_tasks())
    task = asyncio.create_task(router.router.execute('{ review(id: "r1") { body } }'))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if shop.in_flight["reviews"]:
            break
    assert shop.in_flight["reviews"] == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    assert len(router.router.subgraph_clients.policy("reviews").inflight) == 0
    assert len(asyncio.all_tasks()) <= before + 1  # the server's connection handler at most
