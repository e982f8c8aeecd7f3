"""`chorus dev` end to end: editing a subgraph's code restarts it, recomposes, and the
running router serves the new schema; a change that does not compose, or a subgraph
that no longer starts, leaves the stack up on the previous supergraph."""

from __future__ import annotations

import signal
import textwrap
import time
from pathlib import Path

from tests.helpers.workflow import PYTHON, Process, free_ports, graphql, listening, processes

APP = """
import strawberry

from subgraphs.kit import create_app as kit_app


@strawberry.federation.type(keys=["id"])
class Product:
    id: strawberry.ID
{fields}

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Product":
        return cls(id=id{ctor})


@strawberry.type
class Query:
{query}


def create_app():
    return kit_app(strawberry.federation.Schema(query=Query, types=[Product]), name="{name}")
"""
CATALOG = APP.format(
    name="catalog",
    fields="    name: str",
    ctor=', name=f"product {id}"',
    query="    @strawberry.field\n    def products(self) -> list[Product]:\n"
    '        return [Product(id=strawberry.ID("1"), name="product 1")]',
)
QUERY = "    @strawberry.field\n    def extras_version(self) -> int:\n        return {version}"
PRICE = "\n    @strawberry.field\n    def price(self) -> float:\n        return 2.5\n"
STOCK = "\n    @strawberry.field\n    def stock(self) -> int:\n        return 9\n"
CLASH = "\n    @strawberry.field\n    def name(self) -> int:\n        return 0\n"


def _extras(version: int, fields: str) -> str:
    return APP.format(name="extras", fields=fields, ctor="", query=QUERY.format(version=version))


def _write(root: Path, package: str, source: str) -> None:
    (root / package).mkdir(exist_ok=True)
    (root / package / "__init__.py").write_text("")
    (root / package / "app.py").write_text(source)


def _wait_for(predicate, what: str, dev: Process, timeout: float = 40.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        assert dev.popen.poll() is None, dev.output()
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen in {timeout} s:\n{dev.output()}")


def test_chorus_dev_reloads_an_edited_subgraph_through_the_running_router(tmp_path: Path) -> None:
    catalog_port, extras_port, router_port = free_ports(3)
    _write(tmp_path, "wf_dev_catalog", CATALOG)
    _write(tmp_path, "wf_dev_extras", _extras(1, PRICE))
    (tmp_path / "chorus.yaml").write_text(
        textwrap.dedent(
            f"""\
            data_dir: {tmp_path / ".chorus"}
            train_missing_models: false
            router:
              port: {router_port}
            subgraphs:
              catalog:
                app: wf_dev_catalog.app:create_app
                port: {catalog_port}
              extras:
                app: wf_dev_extras.app:create_app
                port: {extras_port}
            """
        )
    )
    router_url = f"http://127.0.0.1:{router_port}/graphql"
    with processes() as running:
        dev = Process(
            [PYTHON, "-m", "chorus", "dev", "--config", str(tmp_path / "chorus.yaml")],
            tmp_path / "dev.log",
            cwd=tmp_path,
            env={"PYTHONPATH": str(tmp_path), "COLUMNS": "200"},
        )
        running.append(dev)
        dev.wait_http(f"http://127.0.0.1:{router_port}/health", timeout=90)
        assert graphql(router_url, "{ products { id name price } extrasVersion }") == {
            "data": {
                "products": [{"id": "1", "name": "product 1", "price": 2.5}],
                "extrasVersion": 1,
            }
        }

        _write(tmp_path, "wf_dev_extras", _extras(2, PRICE + STOCK))
        _wait_for(
            lambda: "errors" not in graphql(router_url, "{ products { stock } extrasVersion }"),
            "the new field through the router",
            dev,
        )
        assert graphql(router_url, "{ products { stock } extrasVersion }") == {
            "data": {"products": [{"stock": 9}], "extrasVersion": 2}
        }

        _write(tmp_path, "wf_dev_extras", _extras(3, PRICE + STOCK + CLASH))
        _wait_for(lambda: "does not compose" in dev.output(), "the composition error", dev)
        output = dev.output()
        assert "INVALID_FIELD_SHARING" in output or "FIELD_TYPE_MISMATCH" in output, output
        # the previous supergraph still serves (extras already runs version 3)
        assert graphql(router_url, "{ products { name stock } extrasVersion }") == {
            "data": {"products": [{"name": "product 1", "stock": 9}], "extrasVersion": 3}
        }

        _write(tmp_path, "wf_dev_extras", "this is not python\n")
        _wait_for(lambda: "extras did not come back" in dev.output(), "the failed restart", dev)
        assert graphql(router_url, "{ products { name } }") == {
            "data": {"products": [{"name": "product 1"}]}
        }

        _write(tmp_path, "wf_dev_extras", _extras(4, PRICE))
        _wait_for(
            lambda: (
                "Cannot query field 'stock'" in str(graphql(router_url, "{ products { stock } }"))
            ),
            "stock removed again",
            dev,
        )
        assert graphql(router_url, "{ extrasVersion products { price } }") == {
            "data": {"extrasVersion": 4, "products": [{"price": 2.5}]}
        }
        assert dev.output().count("Chorus is up") == 1  # one router all along

        dev.signal(signal.SIGINT)
        assert dev.popen.wait(30) == 0, dev.output()
    assert "stopped." in dev.output()
    for port in (catalog_port, extras_port, router_port):
        assert not listening(port), f"something still listens on {port}"
