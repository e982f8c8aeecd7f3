"""A scaffolded subgraph passes its own test and lint, composes with an existing subgraph
(which extends its entity) and is queryable through the router, all before anyone edits it."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import yaml
from starlette.testclient import TestClient
from typer.testing import CliRunner

from chorus.cli import app
from router.server.app import create_router_app
from tests.helpers.workflow import PYTHON, REPO, Process, free_ports, processes

# An existing team's subgraph: it contributes `reviewCount` to the new entity by its key.
REVIEWS_APP = '''
"""Reviews: extends InventoryItem (which the scaffold creates) by its key."""

from __future__ import annotations

import strawberry
from starlette.applications import Starlette

from subgraphs.kit import create_app as kit_app


@strawberry.federation.type(keys=["id"])
class InventoryItem:
    id: strawberry.ID

    @strawberry.field
    def review_count(self) -> int:
        return 10 * int(self.id)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> InventoryItem:
        return cls(id=id)


@strawberry.type
class Query:
    @strawberry.field
    def review_service_version(self) -> str:
        return "reviews-1"


def create_app() -> Starlette:
    schema = strawberry.federation.Schema(query=Query, types=[InventoryItem])
    return kit_app(schema, name="reviews")
'''


def _project(root: Path, reviews_port: int) -> None:
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")  # ruff settings
    (root / "subgraphs" / "reviews").mkdir(parents=True)
    (root / "subgraphs" / "__init__.py").write_text("")
    (root / "subgraphs" / "reviews" / "__init__.py").write_text("")
    (root / "subgraphs" / "reviews" / "app.py").write_text(REVIEWS_APP.lstrip())
    (root / "chorus.yaml").write_text(
        textwrap.dedent(
            f"""\
            # our stack
            data_dir: .chorus
            router:
              port: {reviews_port + 40}
            subgraphs:
              reviews:   # the reviews team
                app: subgraphs.reviews.app:create_app
                port: {reviews_port}
            """
        )
    )


def test_scaffold_composes_and_serves_through_the_router(tmp_path: Path) -> None:
    reviews_port, inventory_port = free_ports(2)
    _project(tmp_path, reviews_port)
    result = CliRunner().invoke(
        app,
        ["new", "subgraph", "inventory", "--port", str(inventory_port), "--project", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "# the reviews team" in (tmp_path / "chorus.yaml").read_text()
    assert yaml.safe_load((tmp_path / "supergraph.yaml").read_text())["subgraphs"]["reviews"] == {
        "routing_url": f"http://127.0.0.1:{reviews_port}/graphql",
        "schema": {"subgraph_url": f"http://127.0.0.1:{reviews_port}/graphql"},
    }

    generated = ["subgraphs/inventory", "tests/subgraphs/inventory"]
    lint = subprocess.run(
        [PYTHON, "-m", "ruff", "check", *generated],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [PYTHON, "-m", "ruff", "format", "--check", *generated],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    own_test = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/subgraphs/inventory"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert own_test.returncode == 0, own_test.stdout + own_test.stderr
    assert "3 passed" in own_test.stdout

    with processes() as running:
        for name in ("reviews", "inventory"):
            # `python -m chorus` puts the project folder first on sys.path, like a checkout
            proc = Process(
                [PYTHON, "-m", "chorus", "subgraph", name, "--config", "chorus.yaml"],
                tmp_path / f"{name}.log",
                cwd=tmp_path,
            )
            running.append(proc)
        for proc, port in zip(running, (reviews_port, inventory_port), strict=True):
            proc.wait_http(f"http://127.0.0.1:{port}/ready")

        out = tmp_path / "supergraph.graphql"
        composed = CliRunner().invoke(
            app, ["compose", "--config", str(tmp_path / "supergraph.yaml"), "-o", str(out)]
        )
        assert composed.exit_code == 0, composed.output
        # TestClient runs the router's lifespan (its subgraph clients are closed on exit)
        with TestClient(create_router_app(out.read_text())) as router:
            response = router.post(
                "/graphql",
                json={
                    "query": "{ inventoryItems { id name reviewCount } "
                    'inventoryItem(id: "2") { name } reviewServiceVersion }'
                },
            )
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    assert body["data"] == {
        "inventoryItems": [
            {"id": "1", "name": "first inventory item", "reviewCount": 10},
            {"id": "2", "name": "second inventory item", "reviewCount": 20},
        ],
        "inventoryItem": {"name": "second inventory item"},
        "reviewServiceVersion": "reviews-1",
    }
