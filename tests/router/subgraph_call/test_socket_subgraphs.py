"""The harness itself: the router over the real socket subgraphs answers."""

from __future__ import annotations

from tests.helpers.hardening_harness import Harness


async def test_router_over_socket_subgraphs(router: Harness) -> None:
    body = await router.data('{ products { id name reviewCount } review(id: "r1") { body } }')
    assert body == {
        "data": {
            "products": [
                {"id": "1", "name": "Table", "reviewCount": 3},
                {"id": "2", "name": "Chair", "reviewCount": 0},
            ],
            "review": {"body": "solid"},
        }
    }
