"""The wheel alone runs the concierge: data from package data, nothing from the source tree.

The project is built into a wheel (`pip wheel --no-deps`) from a copy of the
source, installed `--no-deps` into a fresh virtual environment, and run from a
directory outside the repository with no PYTHONPATH. The environment reaches
the already installed dependencies (torch and the rest) through a `.pth` line
naming this interpreter's site-packages; only the dependencies live there, so
every Chorus module comes from the wheel.

From the installed `chorus`: migrate, start the dialogue and generation
subgraphs with the configuration chorus.yaml gives them (the concierge's
domain, extensions, paraphrases, FAQ and prompt, named as package data), ask
them, compose a supergraph from them and ask through the router. The NLU is
not started: it serves a trained model, and training one takes minutes, so the
understanding the router would bring from it is passed in the `_entities`
representation, as the router does.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.apps import subgraph_env

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
# What a source distribution would carry: the packages and the files pyproject reads.
SOURCE = ["pyproject.toml", "README.md", "apps", "chorus", "migrations", "models", "observability"]
SOURCE += ["router", "subgraphs"]
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".chorus", "*.db")


NLU_SDL = """
from subgraphs.nlu.app import create_app
result = create_app().state.schema.execute_sync("{ _service { sdl } }")
assert not result.errors, result.errors
print(result.data["_service"]["sdl"])
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the project's wheel in it; returns its bin directory."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    for name in SOURCE:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=SKIP)
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(path, source / name)
    dist = root / "dist"
    build = ["pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)]
    subprocess.run(
        [sys.executable, "-m", *build, str(source)],
        check=True,
        cwd=root,
        timeout=600,
    )
    (wheel,) = dist.glob("chorus-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The dependencies, already installed here, without re-installing torch.
    (Path(purelib) / "chorus_test_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        cwd=root,
        timeout=300,
    )
    return venv / "bin"


def _env(work: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env.pop("PYTHONPATH", None)
    env.update(
        CHORUS_DATA_DIR=str(work / "data"),
        CHORUS_DATABASE_URL=f"sqlite+aiosqlite:///{work / 'data' / 'chorus.db'}",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        **extra,
    )
    return env


@contextmanager
def _serving(argv: list[str], env: dict[str, str], cwd: Path, ready: str) -> Iterator[None]:
    log = cwd / f"{Path(argv[0]).name}-{len(list(cwd.glob('*.log')))}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None:
                raise AssertionError(f"{argv} exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(ready, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{argv} never became ready:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _gql(url: str, query: str, **variables: Any) -> dict[str, Any]:
    body = httpx.post(url, json={"query": query, "variables": variables}, timeout=60).json()
    assert "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


# Package data in folders without an __init__.py (setuptools finds them as namespace
# packages only when package-data reaches them): the scaffold's templates, the router's
# static pages, the applications' data. Authors' notes (*.md) stay in the repository.
DATA_FOLDERS = ["chorus/templates", "chorus/web", "apps/concierge/data", "apps/fraud/data"]
LIST_INSTALLED = """
import importlib.resources, json, sys
def walk(node, prefix):
    for child in node.iterdir():
        if child.is_dir():
            yield from walk(child, f"{prefix}{child.name}/")
        else:
            yield prefix + child.name
out = {}
for folder in sys.argv[1:]:
    package, _, rest = folder.partition("/")
    node = importlib.resources.files(package).joinpath(rest)
    out[folder] = sorted(walk(node, ""))
print(json.dumps(out))
"""


def test_the_wheel_carries_the_package_data_of_folders_without_init(installed: Path) -> None:
    listed = subprocess.run(
        [str(installed / "python"), "-c", LIST_INSTALLED, *DATA_FOLDERS],
        env=_env(installed.parent), cwd=installed.parent, capture_output=True, text=True,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)
    for folder in DATA_FOLDERS:
        source = REPO / folder
        expected = sorted(
            str(f.relative_to(source))
            for f in source.rglob("*")
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".md"
        )
        installed_files = [f for f in found[folder] if "__pycache__" not in f]
        assert installed_files == expected, folder
    assert "subgraph/model/trainer.py.tmpl" in found["chorus/templates"]
    assert "deploy/k8s-subgraph.yaml.tmpl" in found["chorus/templates"]


def test_the_installed_wheel_serves_the_concierge(installed: Path, tmp_path: Path) -> None:
    work = tmp_path / "run"  # outside the repository: nothing there to import
    work.mkdir()
    python, chorus = str(installed / "python"), str(installed / "chorus")
    env = _env(work)

    where = subprocess.run(
        [python, "-c", "import json, apps.concierge, chorus, subgraphs, models; "
         "print(json.dumps([m.__file__ for m in (apps.concierge, chorus, subgraphs, models)]))"],
        env=env, cwd=work, check=True, capture_output=True, text=True,
    )  # fmt: skip
    for module_file in json.loads(where.stdout):
        assert str(installed.parent) in module_file and str(REPO) not in module_file

    # A project using the installed framework has its own chorus.yaml: the repository's names
    # only installed packages (subgraphs, apps), so it serves as one here.
    shutil.copyfile(REPO / "chorus.yaml", work / "chorus.yaml")
    subprocess.run([chorus, "migrate"], env=env, cwd=work, check=True, timeout=120)

    ports = {"dialogue": _free_port(), "generation": _free_port(), "router": _free_port()}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    # The concierge's wiring, exactly as chorus.yaml gives it to `chorus dev`.
    dialogue_env = {**env, **subgraph_env("dialogue")}
    generation_env = {**env, **subgraph_env("generation")}
    assert dialogue_env["CHORUS_DIALOGUE_DOMAIN"].startswith("apps.concierge:")

    with (
        _serving(
            [chorus, "subgraph", "dialogue", "--port", str(ports["dialogue"])],
            dialogue_env, work, f"{urls['dialogue']}/ready",
        ),
        _serving(
            [chorus, "subgraph", "generation", "--port", str(ports["generation"])],
            generation_env, work, f"{urls['generation']}/ready",
        ),
    ):  # fmt: skip
        dialogue, generation = f"{urls['dialogue']}/graphql", f"{urls['generation']}/graphql"
        said = _gql(dialogue, 'mutation { say(text: "a table for 2 please") { id } }')["say"]
        understanding = {
            "intent": {"name": "book_table", "confidence": 0.9},
            "entities": [{"type": "party_size", "value": "2", "start": 12, "end": 13}],
            "fallback": False,
        }
        entities = _gql(
            dialogue,
            "query($r: [_Any!]!) { _entities(representations: $r) "
            "{ ... on Turn { action { name activeForm slots { name value } } } } }",
            r=[{"__typename": "Turn", "id": said["id"], "understanding": understanding}],
        )["_entities"]
        action = entities[0]["action"]
        assert (action["name"], action["activeForm"]) == ("utter_ask_date", "booking_form")

        reply = _gql(
            generation,
            "query($r: [_Any!]!) { _entities(representations: $r) "
            "{ ... on Turn { reply { text source } } } }",
            r=[
                {
                    "__typename": "Turn",
                    "id": said["id"],
                    "text": "hello",
                    "action": {"name": "utter_greet", "slots": []},
                }
            ],
        )["_entities"][0]["reply"]
        assert reply["source"] == "template" and "Chorus Bistro" in reply["text"]

        # Compose from the running subgraphs and the NLU's schema (its app built from the
        # wheel, not served: no model is loaded), then ask through the router.
        nlu_sdl = subprocess.run(
            [python, "-c", NLU_SDL], env=env, cwd=work, check=True, capture_output=True,
            text=True, timeout=120,
        ).stdout  # fmt: skip
        (work / "nlu.graphql").write_text(nlu_sdl)
        config = work / "supergraph.yaml"
        config.write_text(
            "federation_version: =2.11.0\nsubgraphs:\n"
            f"  nlu:\n    routing_url: http://127.0.0.1:{_free_port()}/graphql\n"
            "    schema:\n      file: nlu.graphql\n"
            + "".join(
                f"  {name}:\n    routing_url: {url}/graphql\n"
                f"    schema:\n      subgraph_url: {url}/graphql\n"
                for name, url in urls.items()
                if name != "router"
            )
        )
        supergraph = work / "supergraph.graphql"
        subprocess.run(
            [chorus, "compose", "--config", str(config), "--output", str(supergraph)],
            env=env, cwd=work, check=True, timeout=120,
        )  # fmt: skip
        with _serving(
            [chorus, "router", "--supergraph", str(supergraph), "--port", str(ports["router"])],
            env, work, f"{urls['router']}/health",
        ):  # fmt: skip
            data = _gql(
                f"{urls['router']}/graphql",
                "query($id: ID!) { turn(id: $id) { text conversation { turnCount "
                'bookings { id } } } bookings(status: "confirmed") { id } }',
                id=said["id"],
            )
            assert data["turn"] == {
                "text": "a table for 2 please",
                "conversation": {"turnCount": 1, "bookings": []},
            }
            assert isinstance(data["bookings"], list)
