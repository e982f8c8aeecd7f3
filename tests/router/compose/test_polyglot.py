"""Polyglot federation: a Node subgraph (@apollo/subgraph + @apollo/server, from npm) and a
Python one (strawberry through the kit) compose with Chorus's composer, and one request
through the Chorus router resolves an entity across both, including a `@requires` field
whose input comes from the Node side."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from chorus.reload import compose_sdls, fetch_sdls
from tests.helpers.workflow import PYTHON, Process, free_ports, graphql, processes

HERE = Path(__file__).parent
NPM_PACKAGES = ["@apollo/subgraph@2.15.1", "@apollo/server@5.5.1", "graphql@16.15.0"]
NPM_PREFIX = Path(
    os.environ.get("CHORUS_NPM_POLYGLOT_DIR", "~/.cache/chorus/npm-polyglot")
).expanduser()

INVENTORY = """
import strawberry

from subgraphs.kit import create_app as kit_app


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    price: int = strawberry.federation.field(external=True)
    weight: int = strawberry.federation.field(external=True)

    @strawberry.field
    def in_stock(self) -> bool:
        return self.upc != "2"

    @strawberry.federation.field(requires=["price weight"])
    def shipping_estimate(self) -> int:
        # free above 1000, else half the weight: needs the Node subgraph's fields
        return 0 if self.price > 1000 else self.weight // 2

    @classmethod
    def resolve_reference(cls, upc: str, price: int = 0, weight: int = 0) -> "Product":
        return cls(upc=upc, price=price, weight=weight)


@strawberry.type
class Query:
    @strawberry.field
    def warehouse(self) -> str:
        return "python-inventory"


def create_app():
    schema = strawberry.federation.Schema(query=Query, types=[Product])
    return kit_app(schema, name="inventory")
"""


def _ensure_npm_packages() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not installed: cannot run the @apollo/subgraph side of the check")
    marker = NPM_PREFIX / "node_modules" / "@apollo" / "subgraph" / "package.json"
    if not marker.exists():
        NPM_PREFIX.mkdir(parents=True, exist_ok=True)
        argv = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
        subprocess.run(
            [*argv, "--prefix", str(NPM_PREFIX), *NPM_PACKAGES],
            check=True,
            timeout=600,
        )
    return NPM_PREFIX / "node_modules"


def _wait_for_line(proc: Process, text: str, timeout: float = 30.0) -> None:
    """Apollo Server has no health route; it prints a line once it listens."""
    deadline = time.monotonic() + timeout
    while text not in proc.output():
        assert proc.popen.poll() is None, proc.output()
        assert time.monotonic() < deadline, proc.output()
        time.sleep(0.1)


async def _fetch(urls: dict[str, str]) -> dict[str, str]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        return await fetch_sdls(client, urls)


def test_node_and_python_subgraphs_answer_one_request_through_the_router(tmp_path: Path) -> None:
    node_modules = _ensure_npm_packages()
    products_port, inventory_port, router_port = free_ports(3)
    (tmp_path / "wf_polyglot_inventory.py").write_text(textwrap.dedent(INVENTORY))
    urls = {
        "products": f"http://127.0.0.1:{products_port}/",
        "inventory": f"http://127.0.0.1:{inventory_port}/graphql",
    }
    with processes() as running:
        running.append(
            Process(
                ["node", str(HERE / "polyglot_products.cjs")],
                tmp_path / "products.log",
                env={"NODE_PATH": str(node_modules), "PORT": str(products_port)},
            )
        )
        argv = [PYTHON, "-m", "uvicorn", "--factory", "--app-dir", str(tmp_path)]
        argv += ["wf_polyglot_inventory:create_app", "--port", str(inventory_port)]
        running.append(Process(argv, tmp_path / "inventory.log"))
        running[1].wait_http(f"http://127.0.0.1:{inventory_port}/ready")
        _wait_for_line(running[0], "ready at")
        sdls = asyncio.run(_fetch(urls))
        assert '@key(fields: "upc")' in sdls["products"]
        result = compose_sdls(sdls, urls)
        assert result.supergraph_sdl is not None, [str(e) for e in result.errors]
        supergraph = tmp_path / "supergraph.graphql"
        supergraph.write_text(result.supergraph_sdl)

        argv = [PYTHON, "-m", "chorus", "router", "--supergraph", str(supergraph)]
        router = Process([*argv, "--port", str(router_port)], tmp_path / "router.log")
        running.append(router)
        router.wait_http(f"http://127.0.0.1:{router_port}/health")
        body = graphql(
            f"http://127.0.0.1:{router_port}/graphql",
            "{ topProducts { upc name price inStock shippingEstimate } warehouse }",
        )
    assert body == {
        "data": {
            "topProducts": [
                {
                    "upc": "1",
                    "name": "Table",
                    "price": 899,
                    "inStock": True,
                    "shippingEstimate": 50,
                },
                {
                    "upc": "2",
                    "name": "Couch",
                    "price": 1299,
                    "inStock": False,
                    "shippingEstimate": 0,
                },
                {"upc": "3", "name": "Chair", "price": 54, "inStock": True, "shippingEstimate": 25},
            ],
            "warehouse": "python-inventory",
        }
    }
