"""The subgraph kit: health is live at once, ready waits for start-up hooks, metrics count."""

from __future__ import annotations

import asyncio
import time

import strawberry
from starlette.testclient import TestClient

from subgraphs.kit import create_app, user_error


@strawberry.federation.type(keys=["id"])
class Thing:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Thing:
        return Thing(id=id, name=f"thing {id}")


@strawberry.type
class Query:
    @strawberry.field
    def thing(self, id: strawberry.ID) -> Thing:
        if not id:
            raise user_error("id must not be empty")
        return Thing(id=id, name=f"thing {id}")


def _schema() -> strawberry.federation.Schema:
    return strawberry.federation.Schema(query=Query)


def test_health_answers_while_ready_waits_for_startup() -> None:
    release = asyncio.Event()

    async def load_model() -> None:
        await release.wait()

    app = create_app(_schema(), name="things", on_startup=[load_model])
    with TestClient(app) as client:
        assert client.get("/health").json() == {"status": "ok", "subgraph": "things"}
        assert client.get("/ready").status_code == 503
        client.portal.call(release.set)  # type: ignore[union-attr]
        for _ in range(50):
            if client.get("/ready").status_code == 200:
                break
            time.sleep(0.02)
        body = client.get("/ready").json()
        assert body["ready"] is True and body["ready_after_s"] >= 0


def test_a_failed_startup_stays_unready_and_says_why() -> None:
    async def broken() -> None:
        raise FileNotFoundError("no model at /nowhere")

    app = create_app(_schema(), name="things", on_startup=[broken])
    with TestClient(app) as client:
        for _ in range(50):
            body = client.get("/ready").json()
            if "error" in body:
                break
            time.sleep(0.02)
        assert client.get("/ready").status_code == 503
        assert "no model at /nowhere" in body["error"]
        assert client.get("/health").status_code == 200


def test_graphql_entities_errors_and_metrics() -> None:
    app = create_app(_schema(), name="things")
    with TestClient(app) as client:
        ok = client.post("/graphql", json={"query": '{ thing(id: "7") { id name } }'}).json()
        assert ok == {"data": {"thing": {"id": "7", "name": "thing 7"}}}
        bad = client.post("/graphql", json={"query": '{ thing(id: "") { id } }'}).json()
        assert bad["errors"][0]["message"] == "id must not be empty"
        assert bad["errors"][0]["path"] == ["thing"]
        assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        entities = client.post(
            "/graphql",
            json={
                "query": "query($r: [_Any!]!) { _entities(representations: $r) "
                "{ ... on Thing { name } } }",
                "variables": {"r": [{"__typename": "Thing", "id": "3"}]},
            },
        ).json()
        assert entities == {"data": {"_entities": [{"name": "thing 3"}]}}
        sdl = client.post("/graphql", json={"query": "{ _service { sdl } }"}).json()
        assert '@key(fields: "id")' in sdl["data"]["_service"]["sdl"]
        metrics = client.get("/metrics").text
        assert (
            'chorus_subgraph_request_seconds_count{method="POST",path="/graphql",subgraph="things"}'
            in metrics
        )
