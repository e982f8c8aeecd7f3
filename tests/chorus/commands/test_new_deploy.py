"""`chorus new subgraph` writes the deploy entries, and `tests/docker` stays green after it.

The fast tests scaffold into a project holding this repository's chorus.yaml and
docker/ files (the supergraph composition replaced by a stub); the slow one copies
the whole repository (what `git ls-files` lists), scaffolds a plain subgraph, one
extending `Turn` and one serving a model, then runs the deploy tests and the generated
tests there.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from chorus.cli import app
from tests.helpers.deploy import load_script
from tests.helpers.workflow import REPO

runner = CliRunner()
STUB_BUILD = "import sys\nprint('composed')\nsys.exit({code})\n"


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file but byte-code caches (the CLI's own imports may write those)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """chorus.yaml, an empty subgraphs/ package and the docker/ files; composing is a stub."""
    shutil.copy(REPO / "chorus.yaml", tmp_path / "chorus.yaml")
    (tmp_path / "subgraphs").mkdir()
    (tmp_path / "subgraphs" / "__init__.py").write_text("")
    shutil.copytree(REPO / "docker", tmp_path / "docker")
    (tmp_path / "docker" / "build_supergraph.py").write_text(STUB_BUILD.format(code=0))
    return tmp_path


def new(project: Path, *args: str) -> Any:
    return runner.invoke(app, ["new", "subgraph", *args, "--project", str(project)])


def test_every_deploy_file_gets_the_subgraph_and_keeps_its_comments(project: Path) -> None:
    docker = project / "docker"
    before = {p: (docker / p).read_text() for p in ("compose.yaml", "k8s/kustomization.yaml")}
    result = new(project, "ledger")
    assert result.exit_code == 0, result.output
    for line in (
        "created      docker/k8s/ledger.yaml",
        "updated      docker/compose.yaml",
        "updated      docker/observability/prometheus.yml",
        "composed     docker/k8s/supergraph.graphql",
    ):
        assert line in result.output
    assert "Docker:" not in result.output  # written, not printed as instructions

    compose = yaml.safe_load((docker / "compose.yaml").read_text())
    service = compose["services"]["ledger"]
    assert service["command"] == ["subgraph", "ledger", "--host", "0.0.0.0", "--port", "4009"]
    assert service["image"] == compose["services"]["nlu"]["image"]  # the shared anchor merged
    assert service["read_only"] is True
    assert service["healthcheck"]["test"][-1] == "http://127.0.0.1:4009/ready"
    assert compose["services"]["router"]["depends_on"]["ledger"] == {"condition": "service_healthy"}
    for name, text in before.items():  # every original comment line is still there
        after = (docker / name).read_text()
        for line in text.splitlines():
            if line.strip().startswith("#"):
                assert line in after, line

    rover = yaml.safe_load((docker / "supergraph.yaml").read_text())
    assert rover["subgraphs"]["ledger"]["routing_url"] == "http://ledger:4009/graphql"
    assert (
        "EXPOSE 4000 4001 4002 4003 4004 4005 4006 4007 4008 4009\n"
        in (docker / "Dockerfile").read_text()
    )
    kustomization = yaml.safe_load((docker / "k8s/kustomization.yaml").read_text())
    assert kustomization["resources"][-2:] == ["ledger.yaml", "router.yaml"]
    kinds = {d["kind"]: d for d in yaml.safe_load_all((docker / "k8s/ledger.yaml").read_text())}
    assert set(kinds) == {"Deployment", "Service", "HorizontalPodAutoscaler"}
    container = kinds["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["subgraph", "ledger", "--host", "0.0.0.0", "--port", "4009"]
    assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    prometheus = yaml.safe_load((docker / "observability/prometheus.yml").read_text())
    targets = [
        t
        for job in prometheus["scrape_configs"]
        for s in job["static_configs"]
        for t in s["targets"]
    ]
    assert "ledger:4009" in targets


def _init_wait(manifest: Path) -> list[str]:
    deployment = next(
        d for d in yaml.safe_load_all(manifest.read_text()) if d["kind"] == "Deployment"
    )
    (init,) = deployment["spec"]["template"]["spec"]["initContainers"]
    return list(init["args"])


def test_a_model_is_trained_into_the_image_and_its_pod_waits_for_it(project: Path) -> None:
    """`--model` registers model `ledger` in chorus.yaml; the deploy entries honour it as the
    fraud team's anomaly model had to by hand: the image trains it, the pod waits for it."""
    dockerfile = project / "docker" / "Dockerfile"
    before = dockerfile.read_text()
    result = new(project, "ledger", "--model")
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((project / "chorus.yaml").read_text())
    assert list(config["subgraphs"]["ledger"]["models"]) == ["ledger"]
    text = dockerfile.read_text()
    trained = re.findall(r"^ && chorus train (\S+)", text, flags=re.MULTILINE)
    assert trained == [
        *re.findall(r"^ && chorus train (\S+)", before, flags=re.MULTILINE),
        "ledger",
    ]
    models_run = text.split("FROM build AS models")[1].split("FROM ")[0]
    assert models_run.index("chorus train ledger") < models_run.index("seed_models.py export")
    wait = _init_wait(project / "docker" / "k8s" / "ledger.yaml")
    assert wait == ["wait", "--model", "ledger", "--timeout", "900"]
    seed = load_script(REPO / "docker" / "seed_models.py")
    assert seed.build_parser().parse_args(wait).model == ["ledger"]


def test_a_subgraph_without_a_model_adds_no_training(project: Path) -> None:
    before = (project / "docker" / "Dockerfile").read_text()
    result = new(project, "ledger")
    assert result.exit_code == 0, result.output
    after = (project / "docker" / "Dockerfile").read_text()
    assert after.count("chorus train") == before.count("chorus train")
    assert _init_wait(project / "docker" / "k8s" / "ledger.yaml") == ["wait", "--timeout", "900"]


def test_a_failed_composition_restores_every_file(project: Path) -> None:
    (project / "docker" / "build_supergraph.py").write_text(
        "import sys\nprint('INVALID_FIELD_SHARING: Turn.x', file=sys.stderr)\nsys.exit(1)\n"
    )
    before = _snapshot(project)
    result = new(project, "ledger")
    assert result.exit_code == 2, result.output
    assert "INVALID_FIELD_SHARING" in result.output
    assert _snapshot(project) == before
    assert not (project / "tests").exists() and not (project / "subgraphs" / "ledger").exists()


def test_a_project_without_docker_gets_no_deploy_files(project: Path) -> None:
    shutil.rmtree(project / "docker")
    result = new(project, "ledger")
    assert result.exit_code == 0, result.output
    assert not (project / "docker").exists()


def test_an_existing_compose_service_is_refused(project: Path) -> None:
    before = _snapshot(project)
    result = new(project, "postgres")
    assert result.exit_code == 2
    assert "docker/compose.yaml already has a service named 'postgres'" in result.output
    assert _snapshot(project) == before


def test_requires_without_extends_is_refused(project: Path) -> None:
    result = new(project, "sentiment", "--requires", "text")
    assert result.exit_code == 2
    assert "--requires and --field need --extends TYPE" in " ".join(result.output.split())


def _copy_repository(target: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = REPO / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="no git")
def test_deploy_tests_stay_green_after_scaffolding(tmp_path: Path) -> None:
    copy = tmp_path / "project"
    _copy_repository(copy)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    before = _snapshot(copy / "subgraphs" / "nlu")

    def chorus(*args: str, status: int = 0) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "chorus", *args],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == status, result.stdout + result.stderr
        return result.stdout + result.stderr

    chorus("new", "subgraph", "ledger")
    chorus("new", "subgraph", "sentiment", "--extends", "Turn", "--requires", "text")
    chorus("new", "subgraph", "scorer", "--model")  # the image trains it, its pod waits for it
    assert _snapshot(copy / "subgraphs" / "nlu") == before  # other teams' code is untouched
    scaffolded = _snapshot(copy)
    refused = chorus("new", "subgraph", "tone", "--extends", "Tern", status=2)
    assert "no subgraph in chorus.yaml has a type 'Tern'" in " ".join(refused.split())
    assert _snapshot(copy) == scaffolded
    supergraph = (copy / "docker/k8s/supergraph.graphql").read_text()
    assert 'sentiment: String! @join__field(graph: SENTIMENT, requires: "text")' in supergraph

    generated = ["subgraphs/ledger", "subgraphs/sentiment", "subgraphs/scorer", "tests/subgraphs"]
    for args in (["check"], ["format", "--check"]):
        lint = subprocess.run(
            [sys.executable, "-m", "ruff", *args, *generated],
            cwd=copy,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert lint.returncode == 0, lint.stdout + lint.stderr
    tests = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/docker",
            *generated[3:],
        ],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-3000:]
    assert " failed" not in tests.stdout and "passed" in tests.stdout
