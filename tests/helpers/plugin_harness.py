"""Plugin tests: a router from a router.yaml (fixture type) and a tiny HTTP coprocessor."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.helpers.hardening_harness import Harness

MakeConfiguredRouter = Callable[[dict[str, Any]], Awaitable[Harness]]


class Coprocessor:
    """A tiny HTTP coprocessor (Apollo's protocol) in a thread: it records every call.

    RouterRequest with `x-block: yes` -> `{"break": 403}`; SubgraphRequest rewrites
    `x-tenant` to `rewritten-<old>`; anything else continues unchanged.
    """

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        calls = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                doc = json.loads(self.rfile.read(int(self.headers["content-length"])))
                calls.append(doc)
                answer = _decide(doc)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Coprocessor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def stages(self) -> list[str]:
        return [c["stage"] for c in self.calls]


def _decide(doc: dict[str, Any]) -> dict[str, Any]:
    answer = dict(doc)
    headers = doc.get("headers") or {}
    if doc["stage"] == "RouterRequest" and headers.get("x-block") == ["yes"]:
        answer["control"] = {"break": 403}
        answer["body"] = json.dumps(
            {"errors": [{"message": "blocked by policy", "extensions": {"code": "BLOCKED"}}]}
        )
        answer["headers"] = {"x-blocked-by": ["coprocessor"]}
    elif doc["stage"] == "SubgraphRequest" and "x-tenant" in headers:
        answer["headers"] = {**headers, "x-tenant": [f"rewritten-{headers['x-tenant'][0]}"]}
    return answer
