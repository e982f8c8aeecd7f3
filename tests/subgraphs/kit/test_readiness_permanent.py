"""/ready says when a subgraph will never be ready, so a supervisor can stop waiting."""

from __future__ import annotations

import time

import httpx
from starlette.testclient import TestClient

from chorus.supervisor import permanent_error
from tests.helpers.tiny_subgraphs import BROKEN_REASON, alpha_app, broken_app


def test_a_failed_start_up_hook_is_reported_as_permanent() -> None:
    with TestClient(broken_app()) as client:  # the hook runs in the background
        deadline = time.monotonic() + 10
        response = client.get("/ready")
        while "error" not in response.json() and time.monotonic() < deadline:
            time.sleep(0.05)
            response = client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False and body["permanent"] is True
    assert BROKEN_REASON in body["error"]
    assert permanent_error(httpx.Response(503, json=body)) == body["error"]


def test_a_subgraph_still_starting_or_ready_is_not_permanent() -> None:
    with TestClient(alpha_app()) as client:
        body = client.get("/ready").json()
    assert "permanent" not in body
    assert permanent_error(httpx.Response(503, json={"ready": False})) is None
    assert permanent_error(httpx.Response(503, text="not json")) is None
    assert permanent_error(httpx.Response(200, json={"ready": True, "permanent": True})) is None
