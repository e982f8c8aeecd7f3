"""Model management through the training subgraph: the evaluation gate refuses a worse
candidate, `force` overrides it, `rollbackModel` puts the former version back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.training_service import (
    data,
    finished,
    gql,
    start,
    toy_environment,
    training_app,
    wait_for,
)

pytestmark = pytest.mark.timeout(120)

PROMOTE = """mutation($v: String!, $force: Boolean!) {
  promoteModel(name: "toy", version: $v, force: $force) { version stage promotedFrom } }"""
ROLLBACK = 'mutation { rollbackModel(name: "toy") { version stage } }'
STAGES = '{ models(name: "toy") { version stage ref { name version } } }'


async def test_gate_force_and_rollback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toy_environment(tmp_path, monkeypatch)
    async with training_app() as (_, client):
        good = await wait_for(client, (await start(client))["id"], finished)
        v1 = good["candidate"]["version"]
        await data(client, PROMOTE, v=v1, force=False)
        # a threshold moved far right: half the held-out pairs wrong
        bad = await wait_for(client, (await start(client, params={"shift": 5.0}))["id"], finished)
        v2 = bad["candidate"]["version"]
        comparison = bad["candidate"]["comparison"]
        assert comparison["allowed"] is False
        assert comparison["candidate"] < comparison["production"] == 1.0

        body = await gql(client, PROMOTE, v=v2, force=False)
        (error,) = body["errors"]
        assert error["path"] == ["promoteModel"]
        assert error["extensions"]["code"] == "PROMOTION_REFUSED"
        assert error["extensions"]["productionVersion"] == v1
        assert f"toy {v2} is worse than production {v1} on accuracy" in error["message"]
        stages = {m["version"]: m["stage"] for m in (await data(client, STAGES))["models"]}
        assert stages == {v1: "production", v2: "candidate"}

        forced = (await data(client, PROMOTE, v=v2, force=True))["promoteModel"]
        assert forced == {"version": v2, "stage": "production", "promotedFrom": v1}

        back = (await data(client, ROLLBACK))["rollbackModel"]
        assert back == {"version": v1, "stage": "production"}
        listed = (await data(client, STAGES))["models"]
        assert {m["version"]: m["stage"] for m in listed} == {v1: "production", v2: "archived"}
        assert listed[0]["ref"] == {"name": "toy", "version": v1}

        body = await gql(client, ROLLBACK)
        assert "replaced no earlier version" in body["errors"][0]["message"]
        body = await gql(client, PROMOTE, v="nope", force=False)
        assert body["errors"][0]["message"] == "model toy has no version nope"
