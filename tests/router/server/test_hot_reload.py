"""Hot reload through real processes: two subgraphs, a router started with `--watch`.

A subgraph's code is edited and the subgraph restarted; `SchemaPoller` (what
`chorus dev` runs) recomposes and rewrites the supergraph file; the router
serves the new field without a restart, a request in flight during the swap
still completes, and a change that does not compose keeps the old supergraph.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import httpx

from chorus.reload import PollResult, SchemaPoller
from tests.helpers.workflow import PYTHON, Process, free_ports, graphql, processes

CATALOG = """
import asyncio

import strawberry

from subgraphs.kit import create_app as kit_app


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Product":
        return cls(id=id, name=f"product {id}")


@strawberry.type
class Query:
    @strawberry.field
    def products(self) -> list[Product]:
        return [Product(id=strawberry.ID(str(i)), name=f"product {i}") for i in (1, 2)]

    @strawberry.field
    async def slow(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"


def create_app():
    return kit_app(strawberry.federation.Schema(query=Query, types=[Product]), name="catalog")
"""

# The extras team's code in three versions: {fields} is what they add to Product.
EXTRAS = """
import strawberry

from subgraphs.kit import create_app as kit_app


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
{fields}

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Product":
        return cls(id=id)


@strawberry.type
class Query:
    @strawberry.field
    def extras_version(self) -> int:
        return {version}


def create_app():
    return kit_app(strawberry.federation.Schema(query=Query, types=[Product]), name="extras")
"""
PRICE = """
    @strawberry.field
    def price(self) -> float:
        return 1.5 * int(self.id)
"""
STOCK = """
    @strawberry.field
    def stock(self) -> int:
        return 7 * int(self.id)
"""
# `name` is the catalog's (a String!, not shareable): this version must not compose
CLASH = """
    @strawberry.field
    def name(self) -> int:
        return 0
"""


def _write_extras(folder: Path, version: int, fields: str) -> None:
    (folder / "wf_extras.py").write_text(EXTRAS.format(fields=fields, version=version))


def _serve(folder: Path, module: str, port: int, log: str) -> Process:
    argv = [PYTHON, "-m", "uvicorn", "--factory", "--app-dir", str(folder)]
    argv += [f"{module}:create_app", "--port", str(port), "--log-level", "warning"]
    return Process(argv, folder / log)


def _poll(poller: SchemaPoller) -> PollResult:
    async def once() -> PollResult:
        async with httpx.AsyncClient(timeout=10.0) as client:
            return await poller.poll(client)

    return asyncio.run(once())


def _wait_for(predicate, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_schema_change_reaches_the_router_without_a_restart(tmp_path: Path) -> None:
    catalog_port, extras_port, router_port = free_ports(3)
    (tmp_path / "wf_catalog.py").write_text(CATALOG)
    _write_extras(tmp_path, 1, PRICE)
    urls = {
        "catalog": f"http://127.0.0.1:{catalog_port}/graphql",
        "extras": f"http://127.0.0.1:{extras_port}/graphql",
    }
    supergraph = tmp_path / "supergraph.graphql"
    logged: list[str] = []
    poller = SchemaPoller(urls, supergraph, logged.append)
    router_url = f"http://127.0.0.1:{router_port}/graphql"

    with processes() as running:
        running.append(_serve(tmp_path, "wf_catalog", catalog_port, "catalog.log"))
        running.append(_serve(tmp_path, "wf_extras", extras_port, "extras-1.log"))
        running[0].wait_http(f"http://127.0.0.1:{catalog_port}/ready")
        running[1].wait_http(f"http://127.0.0.1:{extras_port}/ready")
        assert _poll(poller) is PollResult.RECOMPOSED
        assert _poll(poller) is PollResult.UNCHANGED
        first_supergraph = supergraph.read_text()

        argv = [PYTHON, "-m", "chorus", "router", "--supergraph", str(supergraph)]
        argv += ["--port", str(router_port), "--watch", "--watch-interval", "0.2"]
        router = Process(argv, tmp_path / "router.log")
        running.append(router)
        router.wait_http(f"http://127.0.0.1:{router_port}/health")
        body = graphql(router_url, "{ products { id name price } extrasVersion }")
        assert body == {
            "data": {
                "products": [
                    {"id": "1", "name": "product 1", "price": 1.5},
                    {"id": "2", "name": "product 2", "price": 3.0},
                ],
                "extrasVersion": 1,
            }
        }
        assert "Cannot query field 'stock'" in str(graphql(router_url, "{ products { stock } }"))

        # the extras team adds `stock` and redeploys
        running[1].stop()
        _write_extras(tmp_path, 2, PRICE + STOCK)
        running[1] = _serve(tmp_path, "wf_extras", extras_port, "extras-2.log")
        running[1].wait_http(f"http://127.0.0.1:{extras_port}/ready")

        slow: dict[str, object] = {}
        in_flight = threading.Thread(
            target=lambda: slow.update(graphql(router_url, "{ slow(seconds: 3) }"))
        )
        in_flight.start()
        time.sleep(0.5)  # the slow request is now inside the router
        assert _poll(poller) is PollResult.RECOMPOSED
        query = "{ products { id stock } extrasVersion }"
        _wait_for(lambda: "errors" not in graphql(router_url, query))
        assert in_flight.is_alive(), "the reload should have happened while the request ran"
        assert graphql(router_url, query) == {
            "data": {
                "products": [{"id": "1", "stock": 7}, {"id": "2", "stock": 14}],
                "extrasVersion": 2,
            }
        }
        in_flight.join(10)
        assert slow == {"data": {"slow": "done"}}
        assert "supergraph reloaded" in router.output()
        assert router.popen.poll() is None  # never restarted
        assert any("schema change in extras: recomposed" in line for line in logged)
        good_supergraph = supergraph.read_text()
        assert good_supergraph != first_supergraph

        # a change that does not compose: logged with its codes, old supergraph kept
        running[1].stop()
        _write_extras(tmp_path, 3, PRICE + STOCK + CLASH)
        running[1] = _serve(tmp_path, "wf_extras", extras_port, "extras-3.log")
        running[1].wait_http(f"http://127.0.0.1:{extras_port}/ready")
        assert _poll(poller) is PollResult.FAILED
        codes = {e.code for e in poller.last_errors}
        assert codes & {"INVALID_FIELD_SHARING", "FIELD_TYPE_MISMATCH"}, codes
        count = len(logged)
        assert _poll(poller) is PollResult.FAILED
        assert len(logged) == count  # logged once, not on every poll
        assert "does not compose" in logged[-1]
        assert any(code in logged[-1] for code in codes)
        assert supergraph.read_text() == good_supergraph
        time.sleep(0.5)
        assert graphql(router_url, "{ products { id name stock } extrasVersion }") == {
            "data": {
                "products": [
                    {"id": "1", "name": "product 1", "stock": 7},
                    {"id": "2", "name": "product 2", "stock": 14},
                ],
                "extrasVersion": 3,
            }
        }

        # a supergraph file the router cannot load is refused; the previous one keeps serving
        supergraph.write_text("this is not a supergraph {")
        _wait_for(lambda: "rejected, keeping the previous one" in router.output())
        assert graphql(router_url, "{ products { stock } }")["data"] is not None
        supergraph.write_text(good_supergraph.replace("\n", "\n\n", 1))  # valid again
        _wait_for(lambda: router.output().count("supergraph reloaded") == 2)
        assert router.popen.poll() is None
