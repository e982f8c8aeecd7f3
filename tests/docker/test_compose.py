"""docker/compose.yaml: valid against the Compose Specification and consistent with the CLI,
chorus.yaml, the image and the other deployment files."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from compose_spec import PyCompose

from tests.helpers.deploy import (
    DOCKER,
    ROUTER_YAML,
    load_chorus_config,
    load_compose,
    load_script,
    parse_chorus,
    router_port,
    subgraph_ports,
)

PROFILE = "observability"
OBSERVABILITY_SERVICES = {"otel-collector", "jaeger", "prometheus", "grafana"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def _validate(document: dict[str, Any]) -> None:
    PyCompose.from_json(json.dumps(document))


def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    _validate(compose)


@pytest.mark.parametrize(
    ("service", "key", "bad"),
    [
        ("router", "read_only", "yes please"),
        ("nlu", "depends_on", {"seed-models": {"condition": "service_done"}}),
        ("postgres", "helthcheck", {"test": ["CMD", "true"]}),
    ],
)
def test_the_validator_rejects_a_broken_copy(
    compose: dict[str, Any], service: str, key: str, bad: object
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"][service][key] = bad
    with pytest.raises(ValueError):
        _validate(broken)


def _depends(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def test_dependencies_exist_respect_profiles_and_have_no_cycle(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        for dep in _depends(service):
            assert dep in services, f"{name} depends on unknown service {dep}"
            if not service.get("profiles"):
                assert not services[dep].get("profiles"), (
                    f"{name} (always on) depends on {dep}, which only runs in a profile"
                )
    profiled = {n for n, s in services.items() if PROFILE in (s.get("profiles") or [])}
    assert profiled == OBSERVABILITY_SERVICES
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        assert name not in visiting, f"dependency cycle through {name}"
        if name in order:
            return
        visiting.add(name)
        for dep in _depends(services[name]):
            visit(dep)
        visiting.discard(name)
        order.append(name)

    for name in services:
        visit(name)
    assert order.index("postgres") < order.index("migrate") < order.index("seed-models")
    assert order.index("seed-models") < min(order.index(s) for s in subgraph_ports())
    assert order.index("router") > max(order.index(s) for s in subgraph_ports())


def test_start_order_is_health_gated(services: dict[str, dict[str, Any]]) -> None:
    assert _depends(services["migrate"]) == {"postgres": "service_healthy"}
    assert _depends(services["seed-models"]) == {"migrate": "service_completed_successfully"}
    for name in subgraph_ports():
        assert _depends(services[name]) == {"seed-models": "service_completed_successfully"}
    assert _depends(services["router"]) == dict.fromkeys(subgraph_ports(), "service_healthy")
    for name, service in services.items():
        for dep, condition in _depends(service).items():
            if condition == "service_healthy":
                check = services[dep].get("healthcheck") or {}
                assert check.get("test") and not check.get("disable"), (
                    f"{name} waits for {dep} to be healthy, but {dep} has no health check"
                )
            if condition == "service_completed_successfully":
                assert services[dep].get("restart") == "no", f"{dep} is a one-shot"


def _health_url(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "/opt/chorus/bin/healthcheck.py"], test
    return str(test[3])


def test_subgraphs_match_the_cli_config_and_health_endpoints(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, port in subgraph_ports().items():
        service = services[name]
        parsed = parse_chorus(service["command"])
        assert parsed.path == ["subgraph"]
        assert parsed.params["name"] == name
        assert parsed.params["port"] == port, f"{name} serves on {parsed.params['port']}"
        assert parsed.params["host"] == "0.0.0.0", "must listen beyond the container's loopback"
        url = urlparse(_health_url(service))
        assert (url.hostname, url.port, url.path) == ("127.0.0.1", port, "/ready")
        assert str(port) in [str(p) for p in service.get("expose", [])]
        assert int(service["healthcheck"]["start_period"].rstrip("s")) >= 60


def test_router_matches_the_cli_and_serves_the_committed_supergraph(
    services: dict[str, dict[str, Any]],
) -> None:
    router = services["router"]
    parsed = parse_chorus(router["command"])
    assert parsed.path == ["router"] and parsed.params["port"] == router_port()
    assert parsed.params["host"] == "0.0.0.0" and parsed.params["dev"] is False
    url = urlparse(_health_url(router))
    assert (url.port, url.path) == (router_port(), "/health")
    assert f"{router_port()}:{router_port()}" in router["ports"]
    target = str(parsed.params["supergraph"])
    mounts = {v.split(":")[1]: v.split(":")[0] for v in router["volumes"]}
    assert target in mounts, f"nothing is mounted at --supergraph {target}"
    source = (DOCKER / mounts[target]).resolve()
    assert source.is_file() and source == (DOCKER / "k8s" / "supergraph.graphql").resolve()


def test_router_reads_the_repositorys_router_yaml(services: dict[str, dict[str, Any]]) -> None:
    """The settings `chorus dev` gives the router (chorus.yaml `router.config`): the REST
    endpoints, /openapi.json."""
    router = services["router"]
    target = parse_chorus(router["command"]).params["router_config"]
    assert target is not None, "the router runs without router.yaml"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in router["volumes"]}
    assert str(target) in mounts, f"nothing is mounted at --router-config {target}"
    assert (DOCKER / mounts[str(target)]).resolve() == ROUTER_YAML
    assert load_chorus_config()["router"]["config"] == ROUTER_YAML.name


def test_every_command_is_a_real_chorus_command(services: dict[str, dict[str, Any]]) -> None:
    seed = load_script(DOCKER / "seed_models.py")
    chorus_services = [n for n, s in services.items() if s["image"].startswith("chorus/")]
    assert set(chorus_services) == {"migrate", "seed-models", "router", *subgraph_ports()}
    for name in chorus_services:
        service = services[name]
        if "entrypoint" in service:
            assert service["entrypoint"] == ["python", "/opt/chorus/bin/seed_models.py"]
            seed.build_parser().parse_args(service["command"])
        else:
            parse_chorus(service["command"])  # raises with the CLI's own message
    assert parse_chorus(services["migrate"]["command"]).path == ["migrate"]


def test_chorus_containers_are_hardened_and_write_only_to_data_and_tmp(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        if not service["image"].startswith("chorus/"):
            continue
        assert service["read_only"] is True, name
        assert service["user"] == "10001:10001", name
        assert "ALL" in service["cap_drop"], name
        assert any(t.startswith("/tmp:") for t in service["tmpfs"]), name
        for volume in service.get("volumes", []):
            _source, target, *mode = volume.split(":")
            assert target == "/data" or mode == ["ro"], f"{name}: {volume} is writable"


def test_database_url_points_at_the_postgres_service(services: dict[str, dict[str, Any]]) -> None:
    postgres = services["postgres"]["environment"]
    for name in ("migrate", "seed-models", "router", *subgraph_ports()):
        env = services[name]["environment"]
        url = urlparse(env["CHORUS_DATABASE_URL"])
        assert url.scheme == "postgresql+asyncpg"
        assert (url.hostname, url.port) == ("postgres", 5432)
        assert (url.username, url.password) == (
            postgres["POSTGRES_USER"],
            postgres["POSTGRES_PASSWORD"],
        )
        assert url.path == "/" + postgres["POSTGRES_DB"]
        assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
        assert env["CHORUS_DATA_DIR"] == "/data"


def test_bind_mounted_files_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DOCKER / source).exists(), f"{name} mounts missing {source}"


def test_supergraph_routing_urls_are_the_compose_services() -> None:
    from router.compose.config import load_config

    config = load_config(DOCKER / "supergraph.yaml")
    assert {s.name for s in config.subgraphs} == set(subgraph_ports())
    services = load_compose()["services"]
    for entry in config.subgraphs:
        url = urlparse(entry.routing_url)
        assert url.hostname == entry.name and entry.name in services
        assert url.port == subgraph_ports()[entry.name] and url.path == "/graphql"
        assert entry.subgraph_url == entry.routing_url


def test_observability_wiring(services: dict[str, dict[str, Any]]) -> None:
    endpoint = urlparse(services["router"]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"])
    collector = services[endpoint.hostname or ""]
    assert str(endpoint.port) in [str(p) for p in collector["expose"]]
    config_mount = next(v for v in collector["volumes"] if "otel-collector.yaml" in v)
    assert f"--config={config_mount.split(':')[1]}" in collector["command"]
    http = yaml.safe_load((DOCKER / "observability/otel-collector.yaml").read_text())
    assert http["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(f":{endpoint.port}")
