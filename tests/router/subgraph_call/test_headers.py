"""Request header propagation to subgraphs (`traffic.headers`): the default, the rules, refusals."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.hardening_harness import Harness, MakeRouter
from tests.helpers.hardening_server import SubgraphServer


async def test_only_trace_context_is_forwarded_by_default(
    router: Harness, shop: SubgraphServer
) -> None:
    tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    await router.data(
        "{ version }",
        headers={
            "authorization": "Bearer x",
            "cookie": "session=1",
            "x-tenant": "t1",
            "traceparent": tp,
            "connection": "keep-alive, x-tenant",
        },
    )
    (req,) = shop.requests["products"]
    assert req.headers.get("traceparent") == tp
    for name in ("authorization", "cookie", "x-tenant"):
        assert name not in req.headers


async def test_header_rules_propagate_rename_insert_remove(
    make_router: MakeRouter, shop: SubgraphServer
) -> None:
    router = await make_router(
        {
            "traffic": {
                "headers": {
                    "all": [
                        {"propagate": {"named": "x-tenant", "rename": "x-tenant-id"}},
                        {"propagate": {"matching": "x-feature-.*"}},
                        {"insert": {"name": "x-router", "value": "chorus"}},
                    ],
                    "subgraphs": {"reviews": [{"remove": {"named": "x-router"}}]},
                }
            }
        }
    )
    await router.data(
        '{ version review(id: "r1") { id } }',
        headers={"x-tenant": "t1", "x-feature-a": "1", "x-other": "no"},
    )
    (p,) = shop.requests["products"]
    (r,) = shop.requests["reviews"]
    assert (p.headers.get("x-tenant-id"), p.headers.get("x-feature-a")) == ("t1", "1")
    assert p.headers.get("x-router") == "chorus" and "x-tenant" not in p.headers
    assert "x-other" not in p.headers
    assert "x-router" not in r.headers and r.headers.get("x-tenant-id") == "t1"


@pytest.mark.parametrize(
    "rule",
    [
        {"insert": {"name": "x-a", "value": "v\r\nx-injected: 1"}},
        {"insert": {"name": "host", "value": "evil"}},
        {"propagate": {"named": "transfer-encoding"}},
        {"insert": {"name": "bad name", "value": "v"}},
        {"propagate": {"named": "x-a"}, "remove": {"named": "x-a"}},
    ],
)
def test_unsafe_header_rules_are_refused_at_start(rule: dict[str, Any]) -> None:
    from pydantic import ValidationError

    from router.settings import RouterSettings

    with pytest.raises(ValidationError):
        RouterSettings.model_validate({"traffic": {"headers": {"all": [rule]}}})
