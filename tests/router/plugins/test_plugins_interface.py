"""The plugin interface: loading from router.yaml, config errors, hook order, rejections."""

from __future__ import annotations

import types
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

from router.plugins import (
    Plugin,
    PluginChain,
    PluginError,
    SubgraphResponseContext,
    load_plugins,
)
from router.plugins.loader import plugin_class
from router.request.request_telemetry import RequestTelemetryPlugin
from router.server.main import StartupError, serve
from router.settings import RouterSettings
from router.settings.plugins import PluginEntry
from tests.helpers.hardening_harness import SHOP, codes
from tests.helpers.hardening_server import SubgraphServer
from tests.helpers.plugin_harness import MakeConfiguredRouter

BOTH = "{ products { id name reviewCount } }"


class OnlyResponses(Plugin):
    async def subgraph_response(self, ctx: SubgraphResponseContext) -> None:
        pass


def test_the_chain_keeps_only_the_hooks_a_plugin_overrides() -> None:
    chain = PluginChain([OnlyResponses(), Plugin()])
    assert len(chain.subgraph_response) == 1
    for hook in ("http_request", "http_operations", "graphql_request", "subgraph_request"):
        assert getattr(chain, hook) == (), hook


def test_config_is_validated_by_the_plugins_model_and_the_error_names_plugin_and_key() -> None:
    good = PluginEntry(module="tests.helpers.plugin_trace", config={"name": "ok"})
    bad = PluginEntry(module="tests.helpers.plugin_trace", config={"nmae": "a"})
    with pytest.raises(PluginError) as err:
        load_plugins([good, bad])
    message = str(err.value)
    assert "plugins[1] (tests.helpers.plugin_trace)" in message
    assert "config.name: Field required" in message
    assert "config.nmae: Extra inputs are not permitted" in message


def test_a_module_that_cannot_be_imported_is_named() -> None:
    with pytest.raises(PluginError, match=r"plugins\[0\] \(no_such_pkg\.mod\): cannot import"):
        load_plugins([PluginEntry(module="no_such_pkg.mod")])


def test_a_module_must_name_exactly_one_plugin() -> None:
    class A(Plugin):
        pass

    class B(Plugin):
        pass

    mod = types.ModuleType("two")
    for cls in (A, B):
        cls.__module__ = "two"
        setattr(mod, cls.__name__, cls)
    with pytest.raises(PluginError, match="2 Plugin subclasses"):
        plugin_class(mod)
    mod.plugin = B  # type: ignore[attr-defined]
    assert plugin_class(mod) is B
    with pytest.raises(PluginError, match="no Plugin subclass"):
        plugin_class(types.ModuleType("empty"))


def test_a_dotted_module_path_is_checked_by_the_settings() -> None:
    with pytest.raises(ValueError, match="module"):
        RouterSettings.model_validate({"plugins": [{"module": "not a module"}]})


def test_the_entry_point_refuses_a_bad_plugin_config_before_serving(tmp_path: Path) -> None:
    sdl = tmp_path / "supergraph.graphql"
    sdl.write_text(SHOP)
    config = tmp_path / "router.yaml"
    config.write_text(
        yaml.safe_dump({"plugins": [{"module": "tests.helpers.plugin_trace", "config": {}}]})
    )
    with pytest.raises(StartupError, match=r"plugins\[0\] \(tests.helpers.plugin_trace\)"):
        serve(sdl, router_config=config, port=1)


async def test_hooks_run_in_config_order_at_every_stage(
    configured_router: MakeConfiguredRouter, shop: SubgraphServer
) -> None:
    router = await configured_router(
        {
            "plugins": [
                {"module": "tests.helpers.plugin_trace", "config": {"name": "first"}},
                {"module": "tests.helpers.plugin_trace", "config": {"name": "second"}},
            ]
        }
    )
    resp = await router.post(BOTH)
    assert resp.status_code == 200, resp.text
    assert resp.json()["data"]["products"][0]["reviewCount"] is not None
    assert resp.headers["x-trace"] == "first,second"
    calls = [*shop.requests["products"], *shop.requests["reviews"]]
    sent = [r.headers.get("x-trace") for r in calls]
    assert sent and set(sent) == {"first,second"}


async def test_a_graphql_request_hook_rejects_one_operation_of_a_batch(
    configured_router: MakeConfiguredRouter,
) -> None:
    router = await configured_router({"plugins": [{"module": "tests.helpers.plugin_reject"}]})
    resp = await router.client.post(
        "/graphql",
        json=[
            {"query": "{ version }"},
            {"query": "{ version }", "variables": {"reject": True}},
        ],
    )
    assert resp.status_code == 200
    ok, rejected = resp.json()
    assert ok["data"]["version"]
    assert codes(rejected) == ["REJECTED_BY_PLUGIN"]
    assert rejected["errors"][0]["message"] == "no, thank you"


async def test_an_http_request_hook_answers_before_the_body_is_read(
    configured_router: MakeConfiguredRouter,
) -> None:
    router = await configured_router({"plugins": [{"module": "tests.helpers.plugin_gate"}]})
    # not JSON: the body would be a 400, but the gate answers before it is read
    resp = await router.client.post(
        "/graphql",
        content=b"{not json",
        headers={"content-type": "application/json", "x-gate": "closed"},
    )
    assert resp.status_code == 418
    assert codes(resp.json()) == ["GATE"]
    assert resp.headers["x-why"] == "gate"
    body = await router.data("{ version }")
    assert body["extensions"] == {"gate": "open"}


def test_the_settings_reference_lists_plugins() -> None:
    from router.settings.reference import render

    assert "plugins: []" in render()


async def test_a_plugin_wraps_the_request_stage_and_each_subgraph_transport_once(
    configured_router: MakeConfiguredRouter,
) -> None:
    router = await configured_router({"plugins": [{"module": "tests.helpers.plugin_wrappers"}]})
    answers = [await router.data(BOTH) for _ in range(3)]
    for body in answers:
        assert body["data"]["products"] and "errors" not in body
        wrapped = body["extensions"]["wrapped"]
        assert wrapped["calls"] == ["products", "reviews"]  # through the plugin's layers
        # composed when the router was built, never again per request
        assert wrapped["so_far"] == ["graphql", "products", "reviews"]


async def test_the_request_metrics_are_a_wrapper_around_the_request_stage(
    configured_router: MakeConfiguredRouter,
) -> None:
    router = await configured_router({})
    assert RequestTelemetryPlugin().uses("graphql_service")
    before = _requests("query", "ok")
    await router.data(BOTH)
    await router.data(BOTH)
    assert _requests("query", "ok") == before + 2


def _requests(operation_type: str, outcome: str) -> float:
    value = REGISTRY.get_sample_value(
        "chorus_router_requests_total", {"operation_type": operation_type, "outcome": outcome}
    )
    return value or 0.0
