"""docker/k8s: every manifest valid against the Kubernetes schemas (offline, strict), and the
objects consistent with each other, the image, the CLI and chorus.yaml."""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import kubernetes_validate
import pytest
import yaml

from router.server.app import create_router_app
from router.settings import load_router_settings
from tests.helpers.deploy import (
    DOCKER,
    K8S,
    REPO,
    ROUTER_YAML,
    k8s_documents,
    k8s_manifests,
    load_chorus_config,
    load_script,
    parse_chorus,
    router_port,
    subgraph_ports,
)

K8S_VERSION = "1.30.0"  # the oldest release the manifests target (preStop `sleep` is 1.30+)
UID = 10001
# Peak RSS measured here under traffic (docker/README.md, "Sizing"); limits must leave room.
MEASURED_PEAK_MIB = {"nlu": 687, "dialogue": 92, "generation": 519, "router": 64}
HEADROOM = 1.3

Manifests = dict[tuple[str, str], dict[str, Any]]


def _all_documents() -> list[tuple[Path, dict[str, Any]]]:
    paths = sorted(K8S.glob("*.yaml")) + sorted((K8S / "examples").glob("*.yaml"))
    return [(p, d) for p in paths if p.name != "kustomization.yaml" for d in k8s_documents(p)]


@pytest.fixture(scope="module")
def manifests() -> Manifests:
    return k8s_manifests()


@pytest.mark.parametrize("version", [K8S_VERSION, kubernetes_validate.latest_version()])
def test_every_manifest_is_valid_strictly(version: str) -> None:
    documents = _all_documents()
    assert len(documents) >= 15
    for path, doc in documents:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path.name} {doc['kind']}/{doc['metadata']['name']}: {exc}")


def test_the_schema_check_rejects_a_broken_copy(manifests: Manifests) -> None:
    deployment = copy.deepcopy(manifests["Deployment", "nlu"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGet"]["prot"] = "http"  # misspelt field
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)
    container["readinessProbe"]["httpGet"].pop("prot")
    container["resources"]["limits"]["memory"] = ["1Gi"]  # wrong type
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSION, strict=True)


def test_kustomization_lists_every_manifest_and_its_inputs_exist() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present, f"unlisted: {present - listed}, missing: {listed - present}"
    namespace = yaml.safe_load((K8S / "namespace.yaml").read_text())["metadata"]["name"]
    assert kustomization["namespace"] == namespace
    for generator in kustomization.get("configMapGenerator", []):
        for file in generator["files"]:
            assert (K8S / file.split("=")[-1]).is_file(), f"generator input {file} missing"
    secret = k8s_documents(K8S / "examples" / "database-secret.yaml")[0]
    assert secret["metadata"]["namespace"] == namespace


def _pod(manifests: Manifests, name: str) -> dict[str, Any]:
    return manifests["Deployment", name]["spec"]["template"]


def _container(manifests: Manifests, name: str) -> dict[str, Any]:
    containers = _pod(manifests, name)["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def _mib(quantity: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity)
    assert m, f"use Mi or Gi: {quantity}"
    return float(m.group(1)) * (1024 if m.group(2) == "Gi" else 1)


def _cpu(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


@pytest.mark.parametrize("name", sorted(subgraph_ports()))
def test_subgraph_deployment_service_and_autoscaler(manifests: Manifests, name: str) -> None:
    port = subgraph_ports()[name]
    container = _container(manifests, name)
    parsed = parse_chorus(container["args"])
    assert parsed.path == ["subgraph"] and parsed.params["name"] == name
    assert parsed.params["port"] == port and parsed.params["host"] == "0.0.0.0"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": port}
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    # liveness must not wait for the models: /health answers while they load
    assert container["startupProbe"]["httpGet"]["path"] == "/health"
    _check_service(manifests, name, port)
    _check_autoscaler(manifests, name)


def _configmap_file(manifests: Manifests, name: str, target: Path) -> Path:
    """The file kustomization.yaml generates into the ConfigMap the pod mounts at `target`.

    The mount's volume is a ConfigMap or a projection of several; the generator's file
    whose key is `target.name` is the one the container reads.
    """
    container = _container(manifests, name)
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(target.parent))
    volumes = _pod(manifests, name)["spec"]["volumes"]
    volume = next(v for v in volumes if v["name"] == mount["name"])
    if "projected" in volume:
        names = [s["configMap"]["name"] for s in volume["projected"]["sources"]]
    else:
        names = [volume["configMap"]["name"]]
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    for generator in kustomization["configMapGenerator"]:
        if generator["name"] not in names:
            continue
        for file in generator["files"]:
            key, _, source = file.rpartition("=")
            if (key or Path(source).name) == target.name:
                return K8S / source
    raise AssertionError(f"no ConfigMap mounted for {name} holds {target}")


@pytest.mark.parametrize("name", sorted(subgraph_ports()))
def test_a_subgraph_pod_waits_for_the_models_it_serves(manifests: Manifests, name: str) -> None:
    (init,) = _pod(manifests, name)["spec"]["initContainers"]
    args = load_script(DOCKER / "seed_models.py").build_parser().parse_args(init["args"])
    models = load_chorus_config()["subgraphs"][name].get("models") or {}
    assert args.command == "wait" and sorted(args.model) == sorted(models)


def test_router_deployment_serves_the_supergraph_from_a_configmap(manifests: Manifests) -> None:
    container = _container(manifests, "router")
    parsed = parse_chorus(container["args"])
    assert parsed.path == ["router"] and parsed.params["port"] == router_port()
    assert parsed.params["dev"] is False
    supergraph = Path(str(parsed.params["supergraph"]))
    assert _configmap_file(manifests, "router", supergraph) == K8S / "supergraph.graphql"
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    _check_service(manifests, "router", router_port())
    _check_autoscaler(manifests, "router")


def test_router_reads_the_repositorys_router_yaml_from_a_configmap(manifests: Manifests) -> None:
    """The settings `chorus dev` gives the router (chorus.yaml `router.config`) reach the pod:
    kustomize reads files inside docker/k8s only, so the generator's input is a copy."""
    parsed = parse_chorus(_container(manifests, "router")["args"])
    assert parsed.params["router_config"] is not None, "the router runs without router.yaml"
    source = _configmap_file(manifests, "router", Path(str(parsed.params["router_config"])))
    copy = source.relative_to(REPO)
    assert source.read_text() == ROUTER_YAML.read_text(), f"stale: cp router.yaml {copy}"


async def test_every_rest_endpoint_of_router_yaml_fits_the_committed_supergraph(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The containers' router serves every endpoint: none is disabled for want of a type."""
    settings = load_router_settings(ROUTER_YAML)
    with caplog.at_level(logging.WARNING, logger="chorus.router.rest"):
        app = create_router_app((K8S / "supergraph.graphql").read_text(), settings=settings)
    assert [r.getMessage() for r in caplog.records] == []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://router") as client:
        paths = (await client.get("/openapi.json")).json()["paths"]
    served = {(e.method.lower(), e.path) for e in settings.rest.endpoints}
    assert served and served == {(m, p) for p, item in paths.items() for m in item}


def test_committed_supergraph_routes_to_the_services() -> None:
    text = (K8S / "supergraph.graphql").read_text()
    graphs = dict(re.findall(r'@join__graph\(name: "(\w+)", url: "([^"]+)"\)', text))
    assert graphs == {n: f"http://{n}:{p}/graphql" for n, p in subgraph_ports().items()}


def test_committed_supergraph_is_what_the_subgraphs_compose_to(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Recompose from the subgraphs' current schemas: stale means a deploy would mis-route."""
    monkeypatch.setenv("CHORUS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHORUS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    build = load_script(DOCKER / "build_supergraph.py")
    assert build.compose_supergraph() == (K8S / "supergraph.graphql").read_text(), (
        "docker/k8s/supergraph.graphql is stale: run .venv/bin/python docker/build_supergraph.py"
    )


def _check_service(manifests: Manifests, name: str, port: int) -> None:
    service = manifests["Service", name]
    labels = _pod(manifests, name)["metadata"]["labels"]
    selector = service["spec"]["selector"]
    assert selector.items() <= labels.items(), f"Service {name} selects no pod of its Deployment"
    assert manifests["Deployment", name]["spec"]["selector"]["matchLabels"] == selector
    assert service["spec"]["ports"] == [
        {"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}
    ]


def _check_autoscaler(manifests: Manifests, name: str) -> None:
    hpa = manifests["HorizontalPodAutoscaler", name]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": name,
    }
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert "replicas" not in manifests["Deployment", name]["spec"], "the HPA owns replicas"
    metric = hpa["spec"]["metrics"][0]["resource"]
    assert metric["name"] == "cpu" and metric["target"]["type"] == "Utilization"
    assert "cpu" in _container(manifests, name)["resources"]["requests"]


@pytest.mark.parametrize("name", sorted(MEASURED_PEAK_MIB))
def test_resources_are_sized_from_measured_memory(manifests: Manifests, name: str) -> None:
    resources = _container(manifests, name)["resources"]
    requests, limits = resources["requests"], resources["limits"]
    assert _mib(requests["memory"]) <= _mib(limits["memory"])
    assert _cpu(requests["cpu"]) <= _cpu(limits["cpu"])
    assert _mib(limits["memory"]) >= MEASURED_PEAK_MIB[name] * HEADROOM, "no room above the peak"
    assert _mib(requests["memory"]) >= MEASURED_PEAK_MIB[name], "request below the measured peak"


def test_every_pod_runs_unprivileged_read_only_with_the_database_secret(
    manifests: Manifests,
) -> None:
    pods = [
        d["spec"]["template"] for (kind, _), d in manifests.items() if kind in ("Deployment", "Job")
    ]
    assert len(pods) == len(subgraph_ports()) + 2  # subgraphs, router, migration job
    secret = k8s_documents(K8S / "examples" / "database-secret.yaml")[0]
    for pod in pods:
        spec = pod["spec"]
        context = spec["securityContext"]
        assert context["runAsNonRoot"] is True and context["runAsUser"] == UID
        assert spec["automountServiceAccountToken"] is False
        writable = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec.get("initContainers", []) + spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            for mount in container["volumeMounts"]:
                if mount["name"] in writable:
                    assert mount["mountPath"] in ("/tmp", "/data"), mount
                else:
                    assert mount.get("readOnly") is True, mount
            assert {"configMapRef": {"name": "chorus-env"}} in container["envFrom"]
            refs = [
                e["valueFrom"]["secretKeyRef"]
                for e in container.get("env", [])
                if e["name"] == "CHORUS_DATABASE_URL"
            ]
            if container["name"] != "router":  # the router never touches the database
                assert refs == [{"name": secret["metadata"]["name"], "key": "url"}]
                assert "url" in secret["stringData"]
    assert secret["stringData"]["url"].startswith("postgresql+asyncpg://")


def test_env_config_is_offline(manifests: Manifests) -> None:
    env = manifests["ConfigMap", "chorus-env"]["data"]
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["CHORUS_DATA_DIR"] == "/data"
    assert "CHORUS_DATABASE_URL" not in env, "the URL carries a password: Secret only"


def test_migration_job_migrates_then_seeds_the_baked_models(manifests: Manifests) -> None:
    spec = manifests["Job", "chorus-migrate"]["spec"]["template"]["spec"]
    assert spec["restartPolicy"] in ("OnFailure", "Never")
    (init,) = spec["initContainers"]
    assert parse_chorus(init["args"]).path == ["migrate"]
    (seed,) = spec["containers"]
    assert seed["command"] == ["python", "/opt/chorus/bin/seed_models.py"]
    args = load_script(DOCKER / "seed_models.py").build_parser().parse_args(seed["args"])
    assert args.command == "seed"
