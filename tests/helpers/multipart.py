"""Reading `@defer` answers: multipart/mixed framing and incremental payloads, as a client would."""

from __future__ import annotations

import json
from typing import Any

import httpx


def parse_multipart(resp: httpx.Response) -> list[dict[str, Any]]:
    ctype = resp.headers["content-type"]
    assert ctype.startswith("multipart/mixed"), ctype
    assert 'boundary="graphql"' in ctype and "deferSpec=20220824" in ctype
    text = resp.text
    assert text.endswith("\r\n--graphql--\r\n")
    parts = text[: -len("\r\n--graphql--\r\n")].split("\r\n--graphql\r\n")
    assert parts[0] == ""
    out = []
    for part in parts[1:]:
        head, body = part.split("\r\n\r\n", 1)
        assert head.lower() == "content-type: application/json; charset=utf-8"
        out.append(json.loads(body))
    return out


def merge_incremental(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """Apply the incremental payloads to the initial data as a client would."""
    data = payloads[0]["data"]
    assert payloads[0]["hasNext"] is True
    for p in payloads[1:]:
        for item in p.get("incremental", []):
            target = data
            for el in item["path"]:
                target = target[el]
            if item["data"] is not None:
                _deep(target, item["data"])
    assert payloads[-1]["hasNext"] is False
    assert all(p["hasNext"] is True for p in payloads[:-1])
    return dict(data)


def _deep(target: dict[str, Any], src: dict[str, Any]) -> None:
    for k, v in src.items():
        if isinstance(target.get(k), dict) and isinstance(v, dict):
            _deep(target[k], v)
        else:
            target[k] = v
