"""Load an Apollo persisted-query manifest into id -> body and a body safelist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson
from graphql import GraphQLError
from graphql.utilities import strip_ignored_characters

__all__ = ["Manifest", "ManifestError", "normalize"]


class ManifestError(ValueError):
    """The manifest file is unusable (the router refuses to start)."""


def normalize(body: str) -> str | None:
    """The body without insignificant whitespace and comments; None if it does not lex."""
    try:
        return strip_ignored_characters(body)
    except GraphQLError:
        return None


@dataclass(frozen=True, slots=True)
class Manifest:
    by_id: dict[str, str]
    bodies: frozenset[str]

    @classmethod
    def load(cls, path: Path) -> Manifest:
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ManifestError(f"cannot read persisted-query manifest {path}: {exc}") from exc
        ops = data.get("operations") if isinstance(data, dict) else None
        if not isinstance(ops, list):
            raise ManifestError(f"{path}: expected an object with an 'operations' list")
        by_id: dict[str, str] = {}
        bodies: set[str] = set()
        for i, op in enumerate(ops):
            if not isinstance(op, dict):
                raise ManifestError(f"{path}: operations[{i}] is not an object")
            pid, body = op.get("id"), op.get("body")
            if not isinstance(pid, str) or not isinstance(body, str):
                raise ManifestError(f"{path}: operations[{i}] needs string 'id' and 'body'")
            norm = normalize(body)
            if norm is None:
                raise ManifestError(f"{path}: operations[{i}] body does not parse")
            by_id[pid] = body
            bodies.add(norm)
        return cls(by_id, frozenset(bodies))
