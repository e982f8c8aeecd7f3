"""docker/healthcheck.py: the URL it derives from each service's command, and real probes of a
local HTTP server (200 healthy; 503 while models load, or nothing listening: unhealthy)."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.deploy import (
    DOCKER,
    K8S,
    k8s_manifests,
    load_compose,
    load_script,
    subgraph_ports,
)

healthcheck = load_script(DOCKER / "healthcheck.py")
PORTS = range(5150, 5160)  # this suite's share of the deploy range 5100-5199
REPO_CONFIG = DOCKER.parent / "chorus.yaml"


def _pid1(argv: list[str]) -> list[str]:
    """PID 1's command line in the image: the venv's python running the `chorus` script."""
    return ["/opt/venv/bin/python", "/opt/venv/bin/chorus", *argv]


def test_derived_urls_match_the_compose_health_checks() -> None:
    for name, service in load_compose()["services"].items():
        if not service["image"].startswith("chorus/") or "entrypoint" in service:
            continue
        derived = healthcheck.url_for(_pid1(service["command"]), REPO_CONFIG)
        declared = service.get("healthcheck", {}).get("test")
        if declared and not service["healthcheck"].get("disable"):
            assert derived == declared[-1], name
        else:
            assert derived is None, f"{name} is a one-shot but the image would probe {derived}"


def test_derived_urls_match_the_kubernetes_probes() -> None:
    manifests = k8s_manifests()
    for name in [*subgraph_ports(), "router"]:
        container = manifests["Deployment", name]["spec"]["template"]["spec"]["containers"][0]
        port = container["ports"][0]["containerPort"]
        path = container["readinessProbe"]["httpGet"]["path"]
        url = healthcheck.url_for(_pid1(container["args"]), REPO_CONFIG)
        assert url == f"http://127.0.0.1:{port}{path}"
    assert K8S.is_dir()


def test_url_without_port_comes_from_chorus_yaml() -> None:
    for name, port in subgraph_ports().items():
        url = healthcheck.url_for(_pid1(["subgraph", name]), REPO_CONFIG)
        assert url == f"http://127.0.0.1:{port}/ready"
    assert healthcheck.url_for(_pid1(["subgraph", "--port", "4555", "nlu"])).endswith(":4555/ready")
    assert healthcheck.url_for(_pid1(["migrate"])) is None
    assert healthcheck.url_for(["python", "/opt/chorus/bin/seed_models.py", "seed"]) is None
    # tini (`docker run --init`) in front of chorus
    assert healthcheck.url_for(["/sbin/docker-init", "--", "chorus", "router"]) == (
        "http://127.0.0.1:4000/health"
    )


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/health" else 503
        body = b'{"ready": false}' if status == 503 else b'{"status": "ok"}'
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@contextlib.contextmanager
def _server() -> Iterator[int]:
    for port in PORTS:
        try:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        except OSError:
            continue
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield port
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)
        return
    pytest.fail(f"no free port in {PORTS}")


def test_probe_against_a_real_server(capsys: pytest.CaptureFixture[str]) -> None:
    with _server() as port:
        assert healthcheck.check(f"http://127.0.0.1:{port}/health")[0] is True
        ok, reason = healthcheck.check(f"http://127.0.0.1:{port}/ready")
        assert ok is False and reason.endswith(": 503")
        assert healthcheck.main(["healthcheck.py", f"http://127.0.0.1:{port}/health"]) == 0
        assert healthcheck.main(["healthcheck.py", f"http://127.0.0.1:{port}/ready"]) == 1
    # the server is gone: connection refused is unhealthy, quickly
    assert healthcheck.check(f"http://127.0.0.1:{port}/health", timeout=2)[0] is False
    assert "503" in capsys.readouterr().out


def test_the_image_ships_the_probe_it_runs() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    assert "COPY docker/healthcheck.py docker/seed_models.py /opt/chorus/bin/" in text
    assert Path(DOCKER / "healthcheck.py").is_file()
