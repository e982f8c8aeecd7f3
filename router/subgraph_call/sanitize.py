"""Clean the `errors` a subgraph returns before the executor re-paths them.

A subgraph may send errors that are not objects, messages that are not
strings, `path`s that are not lists of keys and indexes, or negative and
non-integer `locations`. Each error keeps what is well-formed and loses the
rest, so nothing malformed (or a string path split into characters) reaches
the client.
"""

from __future__ import annotations

from typing import Any

__all__ = ["sanitize_errors"]


def sanitize_errors(errors: list[Any]) -> list[dict[str, Any]]:
    return [_one(e) for e in errors]


def _one(err: Any) -> dict[str, Any]:
    if not isinstance(err, dict):
        return {"message": str(err) or "subgraph error"}
    msg = err.get("message")
    out: dict[str, Any] = {"message": msg if isinstance(msg, str) and msg else "subgraph error"}
    path = err.get("path")
    if (
        isinstance(path, list)
        and path
        and all(
            isinstance(p, str) or (isinstance(p, int) and not isinstance(p, bool)) for p in path
        )
    ):
        out["path"] = path
    locs = err.get("locations")
    if isinstance(locs, list) and locs and all(_location(loc) for loc in locs):
        out["locations"] = locs
    ext = err.get("extensions")
    if isinstance(ext, dict):
        out["extensions"] = ext
    return out


def _location(loc: Any) -> bool:
    if not isinstance(loc, dict):
        return False
    line, col = loc.get("line"), loc.get("column")
    return isinstance(line, int) and isinstance(col, int) and line > 0 and col > 0
