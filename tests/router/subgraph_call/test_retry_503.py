"""A query answered 503 with `Retry-After` is retried once, if the wait fits the deadline.

Against the shop's subgraphs on a real socket server that answers 503 once.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from router.deadline import remaining, within
from router.subgraph_call.retry import retry_after
from tests.helpers.hardening_harness import MakeRouter, codes
from tests.helpers.hardening_server import SubgraphServer, reply

BOTH = '{ products { id name } review(id: "r1") { body } }'
SERVED = {"body": "solid"}


def busy(after: str | None) -> Any:
    return reply(503, b"busy", "text/plain", {"retry-after": after} if after is not None else {})


async def test_query_answered_503_with_retry_after_is_retried_once(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router({"dev": True})
    shop.faults["reviews"] = [busy("0")]
    assert (await router.data(BOTH))["data"]["review"] == SERVED
    assert shop.count("reviews") == 2


async def test_the_wait_is_honoured(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router({"dev": True})
    shop.faults["reviews"] = [busy("1")]
    t = time.perf_counter()
    assert (await router.data(BOTH))["data"]["review"] == SERVED
    assert time.perf_counter() - t >= 0.95
    assert shop.count("reviews") == 2


async def test_retry_after_as_an_http_date(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router({"dev": True})
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True)
    shop.faults["reviews"] = [busy(soon)]
    assert (await router.data(BOTH))["data"]["review"] == SERVED
    assert shop.count("reviews") == 2


async def test_only_once(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router({"dev": True})
    shop.faults["reviews"] = [busy("0"), busy("0")]
    body = (await router.post(BOTH)).json()
    assert body["data"]["review"] is None and codes(body) == ["SUBGRAPH_BAD_RESPONSE"]
    assert shop.count("reviews") == 2


async def test_a_wait_past_the_request_deadline_is_not_taken(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(
        {
            "dev": True,
            "subgraph_timeout_s": 0.5,
            "traffic": {"router_timeout_s": 1.5, "all": {"retry": {"max_retry_after_s": 10}}},
        }
    )
    shop.faults["reviews"] = [busy("2")]
    t = time.perf_counter()
    body = (await router.post(BOTH)).json()
    assert time.perf_counter() - t < 1.0
    assert body["data"]["review"] is None and codes(body) == ["SUBGRAPH_BAD_RESPONSE"]
    assert "HTTP 503" in body["errors"][0]["message"]
    assert shop.count("reviews") == 1


async def test_never_a_mutation(make_router: MakeRouter, shop: SubgraphServer) -> None:
    router = await make_router({"dev": True})
    shop.faults["reviews"] = [busy("0")]
    body = (await router.post('mutation { addReview(body: "nice") { id } }')).json()
    assert body["data"] is None and codes(body) == ["SUBGRAPH_BAD_RESPONSE"]
    assert shop.count("reviews") == 1


async def test_not_without_retry_after_or_when_turned_off(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router({"dev": True})
    shop.faults["reviews"] = [busy(None)]
    assert (await router.data(BOTH))["data"]["review"] is None
    assert shop.count("reviews") == 1
    off = await make_router(
        {"dev": True, "traffic": {"all": {"retry": {"on_503_with_retry_after": False}}}}
    )
    shop.faults["reviews"] = [busy("0")]
    assert (await off.data(BOTH))["data"]["review"] is None
    assert shop.count("reviews") == 2


def test_retry_after_values() -> None:
    now = datetime(2026, 12, 5, 12, 0, 0, tzinfo=UTC)
    assert retry_after({"retry-after": " 7 "}) == 7.0
    assert retry_after({"retry-after": "Sat, 05 Dec 2026 12:00:30 GMT"}, lambda: now) == 30.0
    assert retry_after({"retry-after": "Sat, 05 Dec 2026 11:00:00 GMT"}, lambda: now) == 0.0
    assert retry_after({"retry-after": "-3"}) is None
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


async def _remaining_in_a_task() -> float:
    return remaining()


async def test_remaining_reads_the_outermost_deadline_in_child_tasks() -> None:
    assert remaining() == math.inf
    with within(5):
        with within(1):  # a per-call timeout inside the request's deadline
            assert 4.5 < remaining() <= 5
        child = await asyncio.create_task(_remaining_in_a_task())
        assert 4.5 < child <= 5
    assert remaining() == math.inf
